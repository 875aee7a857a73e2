//! Data every installation or demo needs: the demo tenant, the super-admin tenant.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use comanda_domain::catalog::ProductKind;
use comanda_domain::delivery_area::{AreaKind, AreaShape, DeliveryArea, GeoJsonShape};
use comanda_domain::identity::{Email, Role};
use comanda_domain::opening_hours::{OpeningHours, TimeRange};
use comanda_domain::pagination::PageRequest;
use comanda_domain::shipping::DistanceBand;
use comanda_domain::store::{Address, DEFAULT_TIME_ZONE, NewStore, Scheduling};
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantRecord, TenantSlug};
use comanda_domain::{AreaId, ProductId, StoreId, TenantId};
use comanda_ports::catalog::{
    AddonGroupInput, AddonInput, CatalogRepository, CategoryInput, ComboSlotInput, PizzaSizeInput,
    ProductInput,
};
use comanda_ports::central::CentralRepository;
use comanda_ports::inventory::{Adjustment, InventoryRepository};
use comanda_ports::plans::{PlanInput, PlanRepository};
use comanda_ports::shipping::ShippingRepository;
use comanda_ports::{
    Actor, NewTenant, NewUser, PasswordHasher, RepoError, StoreRepository, TenantRepository,
    UserRepository,
};

use crate::ServiceError;

pub const DEMO_TENANT_SLUG: &str = "demo";
/// The demo owner, printed by the seed so a new user can sign in at once.
pub const DEMO_OWNER_EMAIL: &str = "dono@demo.comanda.dev";
pub const DEMO_OWNER_PASSWORD: &str = "comanda-demo-2026";
/// The plan the demo tenant is on.
pub const DEMO_PLAN_CODE: &str = "demo";

/// What a seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    Created(TenantRecord),
    AlreadyPresent(TenantRecord),
}

impl SeedOutcome {
    pub fn tenant(&self) -> &TenantRecord {
        match self {
            Self::Created(tenant) | Self::AlreadyPresent(tenant) => tenant,
        }
    }
}

#[derive(Clone)]
pub struct SeedService {
    tenants: Arc<dyn TenantRepository>,
    stores: Arc<dyn StoreRepository>,
    catalog: Arc<dyn CatalogRepository>,
    shipping: Arc<dyn ShippingRepository>,
    inventory: Arc<dyn InventoryRepository>,
    accounts: SeedAccounts,
}

/// What the seed needs to put the demo tenant on a plan and give it an owner.
#[derive(Clone)]
pub struct SeedAccounts {
    pub plans: Arc<dyn PlanRepository>,
    pub tenant_admin: Arc<dyn CentralRepository>,
    pub users: Arc<dyn UserRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
}

impl SeedService {
    pub fn new(
        tenants: Arc<dyn TenantRepository>,
        stores: Arc<dyn StoreRepository>,
        catalog: Arc<dyn CatalogRepository>,
        shipping: Arc<dyn ShippingRepository>,
        inventory: Arc<dyn InventoryRepository>,
        accounts: SeedAccounts,
    ) -> Self {
        Self {
            tenants,
            stores,
            catalog,
            shipping,
            inventory,
            accounts,
        }
    }

    /// The demo tenant of the README: slug `demo`, active on the `demo` plan (every module), an
    /// owner (`DEMO_OWNER_EMAIL` / `DEMO_OWNER_PASSWORD`), one store open around the clock with
    /// delivery bands and a menu. Running it again changes nothing.
    pub async fn seed_demo(&self) -> Result<SeedOutcome, ServiceError> {
        let slug = TenantSlug::parse(DEMO_TENANT_SLUG)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let (tenant, created) = self
            .ensure_tenant(NewTenant {
                slug,
                name: "Comanda Demo".into(),
                subscription_status: SubscriptionStatus::Active,
                // Its modules come with the demo plan below, as the plan's (a later plan change
                // replaces them, as for any tenant).
                modules: BTreeSet::new(),
                users_limit: 10,
                stores_limit: 3,
            })
            .await?;
        let existing = self
            .stores
            .list_active(tenant.id, PageRequest::default())
            .await?;
        let store = match existing.items.into_iter().next() {
            Some(store) => store,
            None => {
                self.stores
                    .create(tenant.id, demo_store()?, None, &Actor::system())
                    .await?
            }
        };
        if self.shipping.bands(tenant.id, store.id).await?.is_empty() {
            self.shipping
                .replace_bands(tenant.id, store.id, demo_bands(), &Actor::system())
                .await?;
        }
        if self.shipping.areas(tenant.id, store.id).await?.is_empty() {
            for area in demo_areas(store.id)? {
                self.shipping
                    .save_area(tenant.id, &area, true, &Actor::system())
                    .await?;
            }
        }
        if store.scheduling.is_none() {
            let changes = comanda_ports::StoreChanges {
                scheduling: Some(Some(Scheduling {
                    slot_minutes: 30,
                    slot_capacity: Some(DEMO_SLOT_CAPACITY),
                    lead_minutes: 30,
                })),
                ..comanda_ports::StoreChanges::default()
            };
            self.stores
                .update(tenant.id, store.id, changes, None, &Actor::system())
                .await?;
        }
        if self.catalog.categories(tenant.id).await?.is_empty() {
            self.seed_menu(tenant.id, store.id).await?;
        }
        // Also when an earlier seed stopped between creating the tenant and this.
        if created || tenant.enabled_modules.is_empty() {
            let plan = self.demo_plan().await?;
            self.accounts
                .tenant_admin
                .assign_plan(tenant.id, &plan, &Actor::system())
                .await?;
        }
        self.ensure_demo_owner(tenant.id).await?;
        Ok(if created {
            SeedOutcome::Created(tenant)
        } else {
            SeedOutcome::AlreadyPresent(tenant)
        })
    }

    async fn demo_plan(&self) -> Result<comanda_ports::plans::Plan, ServiceError> {
        let plans = &self.accounts.plans;
        if let Some(plan) = plans.find_by_code(DEMO_PLAN_CODE).await? {
            return Ok(plan);
        }
        let input = PlanInput {
            code: DEMO_PLAN_CODE.into(),
            name: "Demonstração (todos os módulos)".into(),
            price_cents: 0,
            modules: Module::ALL.into_iter().collect(),
            users_limit: 10,
            stores_limit: 3,
            trial_days: 0,
            is_active: true,
        };
        match plans.create(input, &Actor::system()).await {
            Ok(plan) => Ok(plan),
            // Another seed created it meanwhile.
            Err(RepoError::Conflict(_)) => plans
                .find_by_code(DEMO_PLAN_CODE)
                .await?
                .ok_or_else(|| ServiceError::Internal("the demo plan vanished".into())),
            Err(other) => Err(other.into()),
        }
    }

    /// The demo owner, only while the tenant has no user at all.
    async fn ensure_demo_owner(&self, tenant: TenantId) -> Result<(), ServiceError> {
        let users = &self.accounts.users;
        if !users
            .list(tenant, None, PageRequest::default())
            .await?
            .items
            .is_empty()
        {
            return Ok(());
        }
        let password_hash = self
            .accounts
            .hasher
            .hash(DEMO_OWNER_PASSWORD)
            .await
            .map_err(ServiceError::from)?;
        let owner = NewUser {
            email: Email::parse(DEMO_OWNER_EMAIL)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
            name: "Dono da Demo".into(),
            password_hash,
            role: Role::Owner,
            group_ids: Vec::new(),
        };
        match users
            .bootstrap_owner(tenant, owner, None, &Actor::system())
            .await
        {
            Ok(_) | Err(RepoError::Conflict(_)) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// The demo menu: categories, products with add-on groups (only when it has none).
    async fn seed_menu(&self, tenant: TenantId, store: StoreId) -> Result<(), ServiceError> {
        let actor = Actor::system();
        let lunch_only = DEMO_MENU.len();
        let mut made: HashMap<&str, ProductId> = HashMap::new();
        for (category_position, (name, description, products)) in
            DEMO_MENU.iter().chain([&DEMO_LUNCH]).enumerate()
        {
            let category = self
                .catalog
                .create_category(
                    tenant,
                    CategoryInput {
                        name: (*name).to_owned(),
                        description: (*description).to_owned(),
                        position: position(category_position),
                        is_active: true,
                        schedule: (category_position == lunch_only)
                            .then(lunch_schedule)
                            .transpose()?,
                        flavors_for: None,
                    },
                    &actor,
                )
                .await?;
            for (product_position, demo) in products.iter().enumerate() {
                let product = self
                    .catalog
                    .create_product(
                        tenant,
                        ProductInput {
                            category_id: category.id,
                            name: demo.name.to_owned(),
                            description: demo.description.to_owned(),
                            price_cents: demo.price_cents,
                            position: position(product_position),
                            is_active: true,
                            track_stock: demo.track_stock,
                            schedule: None,
                            kind: ProductKind::Simple,
                            sizes: Vec::new(),
                            flavor_prices: BTreeMap::new(),
                            slots: Vec::new(),
                        },
                        &actor,
                    )
                    .await?;
                made.insert(demo.name, product.id);
                if demo.track_stock {
                    // A little stock, so a new user sees it move with each order.
                    self.inventory
                        .adjust(
                            tenant,
                            store,
                            product.id,
                            Adjustment::Set(DEMO_STOCK),
                            "demo stock",
                            &actor,
                        )
                        .await?;
                }
                for (group_position, group) in demo.groups.iter().enumerate() {
                    let created = self
                        .catalog
                        .create_addon_group(
                            tenant,
                            product.id,
                            AddonGroupInput {
                                name: group.name.to_owned(),
                                min_choices: group.min,
                                max_choices: group.max,
                                position: position(group_position),
                            },
                            &actor,
                        )
                        .await?;
                    for (addon_position, (addon, price_cents)) in group.addons.iter().enumerate() {
                        self.catalog
                            .create_addon(
                                tenant,
                                created.id,
                                AddonInput {
                                    name: (*addon).to_owned(),
                                    price_cents: *price_cents,
                                    is_available: true,
                                    position: position(addon_position),
                                },
                                &actor,
                            )
                            .await?;
                    }
                }
            }
        }
        self.seed_pizza(tenant, &actor).await?;
        self.seed_combo(tenant, &actor, &made).await
    }

    /// A combo of the demo's own products: a burger, a drink and, if wanted, a dessert.
    async fn seed_combo(
        &self,
        tenant: TenantId,
        actor: &Actor,
        made: &HashMap<&str, ProductId>,
    ) -> Result<(), ServiceError> {
        let category = self
            .catalog
            .create_category(
                tenant,
                CategoryInput {
                    name: "Combos".to_owned(),
                    description: "Lanche, bebida e sobremesa por um preço só.".to_owned(),
                    position: position(DEMO_MENU.len() + 2),
                    is_active: true,
                    schedule: None,
                    flavors_for: None,
                },
                actor,
            )
            .await?;
        let options = |choices: &[(&str, i64)]| -> Result<Vec<(ProductId, i64)>, ServiceError> {
            choices
                .iter()
                .map(|(name, extra)| {
                    made.get(name).map(|id| (*id, *extra)).ok_or_else(|| {
                        ServiceError::Internal(format!("demo product {name} missing"))
                    })
                })
                .collect()
        };
        let slot = |name: &str,
                    min_choices,
                    choices: &[(&str, i64)]|
         -> Result<ComboSlotInput, ServiceError> {
            Ok(ComboSlotInput {
                name: name.to_owned(),
                min_choices,
                max_choices: 1,
                options: options(choices)?,
            })
        };
        self.catalog
            .create_product(
                tenant,
                ProductInput {
                    category_id: category.id,
                    name: "Combo lanche".to_owned(),
                    description: "Um lanche, uma bebida e, se quiser, uma sobremesa.".to_owned(),
                    price_cents: 3490,
                    position: 0,
                    is_active: true,
                    track_stock: false,
                    schedule: None,
                    kind: ProductKind::Combo,
                    sizes: Vec::new(),
                    flavor_prices: BTreeMap::new(),
                    slots: vec![
                        slot("Lanche", 1, &[("X-Burger", 0), ("X-Bacon", 300)])?,
                        slot(
                            "Bebida",
                            1,
                            &[("Suco natural 500 ml", 200), ("Água mineral 500 ml", 0)],
                        )?,
                        slot(
                            "Sobremesa",
                            0,
                            &[("Pudim de leite", 0), ("Brownie com sorvete", 300)],
                        )?,
                    ],
                },
                actor,
            )
            .await?;
        Ok(())
    }

    /// A pizza by size and flavours: three sizes, eight flavours priced by size.
    async fn seed_pizza(&self, tenant: TenantId, actor: &Actor) -> Result<(), ServiceError> {
        let category = |name: &str, flavors_for| CategoryInput {
            name: name.to_owned(),
            description: String::new(),
            position: position(DEMO_MENU.len() + 1),
            is_active: true,
            schedule: None,
            flavors_for,
        };
        let pizzas = self
            .catalog
            .create_category(tenant, category("Monte sua pizza", None), actor)
            .await?;
        let size = |name: &str, slices, max_flavors| PizzaSizeInput {
            id: None,
            name: name.to_owned(),
            slices,
            max_flavors,
        };
        let pizza = self
            .catalog
            .create_product(
                tenant,
                ProductInput {
                    category_id: pizzas.id,
                    name: "Pizza".to_owned(),
                    description: "Escolha o tamanho e até 3 sabores; paga a média dos sabores."
                        .to_owned(),
                    price_cents: 0,
                    position: 0,
                    is_active: true,
                    track_stock: false,
                    schedule: None,
                    kind: ProductKind::Pizza,
                    sizes: vec![
                        size("Broto", 4, 1),
                        size("Média", 6, 2),
                        size("Grande", 8, 3),
                    ],
                    flavor_prices: BTreeMap::new(),
                    slots: Vec::new(),
                },
                actor,
            )
            .await?;
        let flavors = self
            .catalog
            .create_category(tenant, category("Sabores de pizza", Some(pizza.id)), actor)
            .await?;
        for (flavor_position, (name, prices)) in DEMO_FLAVORS.iter().enumerate() {
            self.catalog
                .create_product(
                    tenant,
                    ProductInput {
                        category_id: flavors.id,
                        name: (*name).to_owned(),
                        description: String::new(),
                        price_cents: 0,
                        position: position(flavor_position),
                        is_active: true,
                        track_stock: false,
                        schedule: None,
                        kind: ProductKind::Simple,
                        sizes: Vec::new(),
                        flavor_prices: pizza
                            .sizes
                            .iter()
                            .map(|size| size.id)
                            .zip(*prices)
                            .collect(),
                        slots: Vec::new(),
                    },
                    actor,
                )
                .await?;
        }
        Ok(())
    }

    /// The central admin's tenant (docs/api.md#the-central-admin): created active with every module when missing.
    pub async fn ensure_super_admin_tenant(
        &self,
        slug: TenantSlug,
    ) -> Result<SeedOutcome, ServiceError> {
        let (tenant, created) = self
            .ensure_tenant(NewTenant {
                name: format!("Comanda central ({slug})"),
                slug,
                subscription_status: SubscriptionStatus::Active,
                modules: Module::ALL.into_iter().collect::<BTreeSet<_>>(),
                users_limit: 50,
                stores_limit: 0,
            })
            .await?;
        Ok(if created {
            SeedOutcome::Created(tenant)
        } else {
            SeedOutcome::AlreadyPresent(tenant)
        })
    }

    /// Finds the tenant by slug or creates it; a concurrent creator winning the race is fine.
    async fn ensure_tenant(&self, tenant: NewTenant) -> Result<(TenantRecord, bool), ServiceError> {
        if let Some(existing) = self.tenants.find_by_slug(&tenant.slug).await? {
            return Ok((existing, false));
        }
        let slug = tenant.slug.clone();
        match self.tenants.create(tenant).await {
            Ok(created) => Ok((created, true)),
            Err(RepoError::Conflict(_)) => self
                .tenants
                .find_by_slug(&slug)
                .await?
                .map(|existing| (existing, false))
                .ok_or_else(|| {
                    ServiceError::Internal(format!("tenant {slug} vanished while seeding"))
                }),
            Err(other) => Err(other.into()),
        }
    }
}

/// Units of each stock-tracked demo product.
const DEMO_STOCK: i32 = 20;

/// Pre-orders per 30-minute slot at the demo store.
const DEMO_SLOT_CAPACITY: i32 = 10;

/// Two neighbourhood areas and one drawn area near the demo store (Bela Vista itself, where the
/// store is, stays on the distance bands).
fn demo_areas(store: StoreId) -> Result<Vec<DeliveryArea>, ServiceError> {
    let square = |west: f64, south: f64, east: f64, north: f64| GeoJsonShape::Polygon {
        coordinates: vec![vec![
            vec![west, south],
            vec![east, south],
            vec![east, north],
            vec![west, north],
            vec![west, south],
        ]],
    };
    let paraiso = square(-46.6450, -23.5800, -46.6350, -23.5720);
    let shape = AreaShape::parse(&paraiso)
        .map_err(|error| ServiceError::Internal(format!("demo area: {error}")))?;
    let area =
        |name: &str, kind: AreaKind, fee_cents: i64, min_order_cents: i64, eta: i32| DeliveryArea {
            id: AreaId::generate(),
            store_id: store,
            name: name.into(),
            kind,
            fee_cents,
            min_order_cents,
            free_above_cents: Some(12_000),
            eta_minutes: eta,
        };
    let neighbourhood = |districts: &[&str]| AreaKind::Neighbourhood {
        city: "São Paulo".into(),
        districts: districts.iter().map(|name| (*name).to_owned()).collect(),
    };
    Ok(vec![
        area(
            "Jardins",
            neighbourhood(&["Jardim Paulista", "Cerqueira César", "Jardim América"]),
            600,
            3_000,
            35,
        ),
        area(
            "Consolação",
            neighbourhood(&["Consolação", "Higienópolis"]),
            700,
            3_000,
            40,
        ),
        area(
            "Paraíso (mapa)",
            AreaKind::Polygon {
                geojson: paraiso,
                shape,
            },
            900,
            4_000,
            45,
        ),
    ])
}

/// Delivery up to 8 km from the demo store.
fn demo_bands() -> Vec<DistanceBand<()>> {
    [(2.0, 500, 30), (5.0, 800, 40), (8.0, 1200, 55)]
        .into_iter()
        .map(|(max_km, fee_cents, eta_minutes)| DistanceBand {
            id: (),
            max_km,
            fee_cents,
            eta_minutes,
        })
        .collect()
}

struct DemoAddonGroup {
    name: &'static str,
    min: i32,
    max: i32,
    addons: &'static [(&'static str, i64)],
}

struct DemoProduct {
    name: &'static str,
    description: &'static str,
    price_cents: i64,
    track_stock: bool,
    groups: &'static [DemoAddonGroup],
}

const PIZZA_GROUPS: &[DemoAddonGroup] = &[
    DemoAddonGroup {
        name: "Borda recheada",
        min: 0,
        max: 1,
        addons: &[("Catupiry", 900), ("Cheddar", 900), ("Chocolate", 1100)],
    },
    DemoAddonGroup {
        name: "Adicionais",
        min: 0,
        max: 3,
        addons: &[
            ("Bacon", 600),
            ("Azeitona", 300),
            ("Cebola caramelizada", 500),
            ("Ovo", 300),
        ],
    },
];

const BURGER_GROUPS: &[DemoAddonGroup] = &[
    DemoAddonGroup {
        name: "Ponto da carne",
        min: 1,
        max: 1,
        addons: &[("Mal passado", 0), ("Ao ponto", 0), ("Bem passado", 0)],
    },
    DemoAddonGroup {
        name: "Turbine seu lanche",
        min: 0,
        max: 4,
        addons: &[
            ("Bacon", 500),
            ("Cheddar extra", 400),
            ("Hambúrguer extra", 1200),
            ("Ovo", 300),
        ],
    },
];

const SODA_GROUPS: &[DemoAddonGroup] = &[DemoAddonGroup {
    name: "Sabor",
    min: 1,
    max: 1,
    addons: &[("Cola", 0), ("Guaraná", 0), ("Laranja", 0), ("Limão", 0)],
}];

const DEMO_MENU: &[(&str, &str, &[DemoProduct])] = &[
    (
        "Pizzas",
        "Massa de fermentação natural, forno a lenha. Tamanho grande, 8 fatias.",
        &[
            DemoProduct {
                name: "Margherita",
                description: "Molho de tomate italiano, muçarela de búfala e manjericão fresco.",
                price_cents: 5490,
                track_stock: false,
                groups: PIZZA_GROUPS,
            },
            DemoProduct {
                name: "Calabresa",
                description: "Calabresa artesanal fatiada, cebola roxa e azeitonas pretas.",
                price_cents: 4990,
                track_stock: false,
                groups: PIZZA_GROUPS,
            },
            DemoProduct {
                name: "Portuguesa",
                description: "Presunto, ovos, cebola, ervilha, azeitona e muçarela.",
                price_cents: 5690,
                track_stock: false,
                groups: PIZZA_GROUPS,
            },
            DemoProduct {
                name: "Quatro queijos",
                description: "Muçarela, provolone, parmesão e gorgonzola.",
                price_cents: 5890,
                track_stock: false,
                groups: PIZZA_GROUPS,
            },
        ],
    ),
    (
        "Lanches",
        "Pão brioche da casa e blend de 160 g.",
        &[
            DemoProduct {
                name: "X-Burger",
                description: "Hambúrguer, queijo prato, alface, tomate e maionese da casa.",
                price_cents: 2890,
                track_stock: false,
                groups: BURGER_GROUPS,
            },
            DemoProduct {
                name: "X-Bacon",
                description: "Hambúrguer, bacon crocante, cheddar e cebola caramelizada.",
                price_cents: 3390,
                track_stock: false,
                groups: BURGER_GROUPS,
            },
            DemoProduct {
                name: "Veggie",
                description: "Hambúrguer de grão-de-bico, rúcula, tomate seco e molho de iogurte.",
                price_cents: 3190,
                track_stock: false,
                groups: &[],
            },
        ],
    ),
    (
        "Bebidas",
        "Geladas.",
        &[
            DemoProduct {
                name: "Refrigerante lata 350 ml",
                description: "",
                price_cents: 700,
                track_stock: false,
                groups: SODA_GROUPS,
            },
            DemoProduct {
                name: "Suco natural 500 ml",
                description: "Laranja, limão ou maracujá, feito na hora.",
                price_cents: 1200,
                track_stock: false,
                groups: &[],
            },
            DemoProduct {
                name: "Água mineral 500 ml",
                description: "Com ou sem gás.",
                price_cents: 500,
                track_stock: false,
                groups: &[],
            },
        ],
    ),
    (
        "Sobremesas",
        "",
        &[
            DemoProduct {
                name: "Brownie com sorvete",
                description: "Brownie de chocolate meio amargo com sorvete de creme.",
                price_cents: 1890,
                track_stock: true,
                groups: &[],
            },
            DemoProduct {
                name: "Pudim de leite",
                description: "A fatia generosa de sempre.",
                price_cents: 1290,
                track_stock: true,
                groups: &[],
            },
        ],
    ),
];

/// The demo pizza's flavours and their prices for Broto, Média and Grande.
const DEMO_FLAVORS: &[(&str, [i64; 3])] = &[
    ("Calabresa", [2990, 4290, 5490]),
    ("Margherita", [2990, 4290, 5490]),
    ("Mussarela", [2790, 3990, 4990]),
    ("Portuguesa", [3290, 4590, 5890]),
    ("Frango com catupiry", [3290, 4690, 5990]),
    ("Quatro queijos", [3490, 4890, 6290]),
    ("Atum", [3390, 4790, 6090]),
    ("Chocolate", [3190, 4490, 5690]),
];

/// A lunch-only category (menus by time): sold Monday to Saturday, 11:00 to 15:00.
const DEMO_LUNCH: (&str, &str, &[DemoProduct]) = (
    "Executivo (almoço)",
    "De segunda a sábado, das 11h às 15h.",
    &[DemoProduct {
        name: "Prato executivo do dia",
        description: "Arroz, feijão, salada e a proteína do dia.",
        price_cents: 2990,
        track_stock: false,
        groups: &[],
    }],
);

fn lunch_schedule() -> Result<OpeningHours, ServiceError> {
    let lunch =
        TimeRange::new("11:00", "15:00").map_err(|e| ServiceError::Internal(e.to_string()))?;
    let mut days: [Vec<TimeRange>; 7] = Default::default();
    for day in days.iter_mut().take(6) {
        *day = vec![lunch];
    }
    OpeningHours::new(days).map_err(|e| ServiceError::Internal(e.to_string()))
}

fn demo_store() -> Result<NewStore, ServiceError> {
    let whole_day =
        TimeRange::new("00:00", "24:00").map_err(|e| ServiceError::Internal(e.to_string()))?;
    let opening_hours = OpeningHours::every_day(vec![whole_day])
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(NewStore {
        name: "Comanda Demo — Paulista".into(),
        phone: Some("+5511999990000".into()),
        address: Address {
            cep: "01310-100".into(),
            street: "Avenida Paulista".into(),
            number: "1000".into(),
            complement: String::new(),
            district: "Bela Vista".into(),
            city: "São Paulo".into(),
            state: "SP".into(),
        },
        latitude: Some(-23.5646),
        longitude: Some(-46.6527),
        time_zone: DEFAULT_TIME_ZONE,
        opening_hours,
        delivery_enabled: true,
        pickup_enabled: true,
        accepts_preorders: true,
        telegram_chat_id: None,
        free_shipping_above_cents: Some(15_000),
        hide_unavailable_items: false,
    })
}

fn position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}
