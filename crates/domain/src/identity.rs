//! Who may do what (docs/api.md#signing-in): roles, permissions, e-mail addresses, passwords.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::tenancy::{Action, Module};

/// A staff member's role. `owner` and `admin` have every permission (`admin` not billing);
/// `manager` and `operator` have what their groups grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Manager,
    Operator,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Owner, Self::Admin, Self::Manager, Self::Operator];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Operator => "operator",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Owner => 4,
            Self::Admin => 3,
            Self::Manager => 2,
            Self::Operator => 1,
        }
    }

    /// Whether a user with this role may give `target` to someone (create a user with it,
    /// change a user to or from it). Nobody grants above their own rank; only owners make
    /// owners.
    pub fn may_assign(self, target: Role) -> bool {
        match target {
            Self::Owner => self == Self::Owner,
            _ => target.rank() <= self.rank(),
        }
    }

    /// Whether the role alone holds every action on `module`, whatever the groups: owners
    /// everything, admins everything but billing, managers and operators nothing.
    pub fn holds_module(self, module: Module) -> bool {
        match self {
            Self::Owner => true,
            Self::Admin => module != Module::Billing,
            Self::Manager | Self::Operator => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (owner, admin, manager or operator)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| UnknownRole(raw.to_owned()))
    }
}

/// One `(module, action)` grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Permission {
    pub module: Module,
    pub action: Action,
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.module.as_str(), self.action.as_str())
    }
}

/// Why a request is refused once the user is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessDenied {
    /// The tenant does not have the module (or its subscription is not active).
    #[error("the {0} module is not enabled for this tenant")]
    ModuleDisabled(Module),
    /// The user's role and groups do not allow it.
    #[error("you do not have permission to do this")]
    Forbidden,
}

/// What a signed-in user holds: their role, their groups' permissions and the tenant's modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants<'a> {
    pub role: Role,
    pub permissions: &'a BTreeSet<Permission>,
    pub tenant_modules: &'a BTreeSet<Module>,
}

impl Grants<'_> {
    /// `require_module_action`: the module is enabled and the user may do `action` on it.
    pub fn check(&self, module: Module, action: Action) -> Result<(), AccessDenied> {
        if !self.tenant_modules.contains(&module) {
            return Err(AccessDenied::ModuleDisabled(module));
        }
        if self.role_allows(module) || self.permissions.contains(&Permission { module, action }) {
            Ok(())
        } else {
            Err(AccessDenied::Forbidden)
        }
    }

    /// `require_module`: the module is enabled and the user may do anything at all on it.
    pub fn check_module(&self, module: Module) -> Result<(), AccessDenied> {
        if !self.tenant_modules.contains(&module) {
            return Err(AccessDenied::ModuleDisabled(module));
        }
        if self.sees(module) {
            Ok(())
        } else {
            Err(AccessDenied::Forbidden)
        }
    }

    /// The modules this user can see in the portal.
    pub fn visible_modules(&self) -> BTreeSet<Module> {
        self.tenant_modules
            .iter()
            .copied()
            .filter(|module| self.sees(*module))
            .collect()
    }

    /// Every permission the user effectively has, for `/auth/me`.
    pub fn effective_permissions(&self) -> BTreeSet<Permission> {
        self.tenant_modules
            .iter()
            .flat_map(|module| {
                Action::ALL.into_iter().map(|action| Permission {
                    module: *module,
                    action,
                })
            })
            .filter(|permission| self.check(permission.module, permission.action).is_ok())
            .collect()
    }

    fn sees(&self, module: Module) -> bool {
        self.role_allows(module) || self.permissions.iter().any(|p| p.module == module)
    }

    fn role_allows(&self, module: Module) -> bool {
        self.role.holds_module(module)
    }
}

/// Why a grant or a change to a user is refused (docs/operations.md#fairness-and-saturation "Grants"); always 403 `forbidden`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GrantDenied {
    /// The permission is not the grantor's own.
    #[error("You cannot grant {0}: you do not hold it yourself")]
    NotHeld(Permission),
    /// Nobody acts on a user above their own rank (only owners act on owners).
    #[error("A {actor} cannot change a {target}")]
    TargetAbove { actor: Role, target: Role },
    /// Nobody gives a role above their own (only owners make owners).
    #[error("A {actor} cannot give the {role} role")]
    RoleAbove { actor: Role, role: Role },
    #[error("You cannot change your own role")]
    OwnRole,
    #[error("You cannot change your own groups")]
    OwnGroups,
    /// Only an owner resets the password of someone of their own rank.
    #[error("Only an owner may reset the password of another {0}")]
    PasswordOfSameRank(Role),
}

/// Who grants (docs/operations.md#fairness-and-saturation "Grants"): their role and the permissions of their own groups. They
/// hold — and so may grant, to a group or to a user through groups — every action of the
/// modules their role covers ([`Role::holds_module`]) and the `(module, action)` pairs of
/// their groups. Whether the tenant has the module enabled does not matter here: enabling a
/// module later must not widen what was granted beyond the grantor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grantor<'a> {
    pub role: Role,
    pub held: &'a BTreeSet<Permission>,
}

impl Grantor<'_> {
    pub fn holds(&self, permission: Permission) -> bool {
        self.role.holds_module(permission.module) || self.held.contains(&permission)
    }

    /// `Ok` when the grantor holds every one of `granted`, else the first they lack.
    pub fn may_grant<'p>(
        &self,
        granted: impl IntoIterator<Item = &'p Permission>,
    ) -> Result<(), GrantDenied> {
        match granted.into_iter().find(|p| !self.holds(**p)) {
            Some(lacking) => Err(GrantDenied::NotHeld(*lacking)),
            None => Ok(()),
        }
    }
}

/// A change to a user, as far as who may make it is concerned. The permissions that the
/// groups being added carry are checked apart, with [`Grantor::may_grant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserChange {
    /// The acting user's role.
    pub actor: Role,
    /// The acting user is the user being changed.
    pub is_self: bool,
    /// The changed user's role before the change.
    pub target: Role,
    /// The new role, when it differs from `target`.
    pub new_role: Option<Role>,
    /// The user's set of groups changes.
    pub changes_groups: bool,
    /// A new password is set.
    pub sets_password: bool,
}

/// Whether the change is allowed: nobody acts on a higher rank or gives a role above their
/// own; nobody changes their own role or groups; only an owner resets the password of another
/// user of their own rank. One's own password is changed freely.
pub fn check_user_change(change: &UserChange) -> Result<(), GrantDenied> {
    let UserChange {
        actor,
        is_self,
        target,
        new_role,
        changes_groups,
        sets_password,
    } = *change;
    if !actor.may_assign(target) {
        return Err(GrantDenied::TargetAbove { actor, target });
    }
    if let Some(role) = new_role {
        if is_self {
            return Err(GrantDenied::OwnRole);
        }
        if !actor.may_assign(role) {
            return Err(GrantDenied::RoleAbove { actor, role });
        }
    }
    if changes_groups && is_self {
        return Err(GrantDenied::OwnGroups);
    }
    if sets_password && !is_self && actor == target && actor != Role::Owner {
        return Err(GrantDenied::PasswordOfSameRank(target));
    }
    Ok(())
}

/// An e-mail address, trimmed and lowercased: logins match whatever the case typed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
        let valid = email.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(email))
        } else {
            Err(InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password someone chose: 8 to 128 characters. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a password has 8 to 128 characters")]
pub struct WeakPassword;

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, WeakPassword> {
        let length = raw.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&length) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(WeakPassword)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
        items.iter().cloned().collect()
    }

    fn permission(module: Module, action: Action) -> Permission {
        Permission { module, action }
    }

    #[test]
    fn owner_may_do_everything_enabled() {
        let modules = set(&[Module::Orders, Module::Billing]);
        let none = BTreeSet::new();
        let grants = Grants {
            role: Role::Owner,
            permissions: &none,
            tenant_modules: &modules,
        };
        assert_eq!(grants.check(Module::Billing, Action::Update), Ok(()));
        assert_eq!(grants.check(Module::Orders, Action::Delete), Ok(()));
        assert_eq!(
            grants.check(Module::Catalog, Action::View),
            Err(AccessDenied::ModuleDisabled(Module::Catalog))
        );
    }

    #[test]
    fn admin_may_do_everything_but_billing() {
        let modules = set(&[Module::Orders, Module::Billing]);
        let none = BTreeSet::new();
        let grants = Grants {
            role: Role::Admin,
            permissions: &none,
            tenant_modules: &modules,
        };
        assert_eq!(grants.check(Module::Orders, Action::Delete), Ok(()));
        assert_eq!(
            grants.check(Module::Billing, Action::View),
            Err(AccessDenied::Forbidden)
        );
        assert_eq!(grants.visible_modules(), set(&[Module::Orders]));
    }

    #[test]
    fn managers_and_operators_have_what_their_groups_grant() {
        let modules = set(&[Module::Orders, Module::Catalog]);
        let permissions = set(&[permission(Module::Orders, Action::View)]);
        for role in [Role::Manager, Role::Operator] {
            let grants = Grants {
                role,
                permissions: &permissions,
                tenant_modules: &modules,
            };
            assert_eq!(grants.check(Module::Orders, Action::View), Ok(()));
            assert_eq!(
                grants.check(Module::Orders, Action::Update),
                Err(AccessDenied::Forbidden)
            );
            assert_eq!(grants.check_module(Module::Orders), Ok(()));
            assert_eq!(
                grants.check_module(Module::Catalog),
                Err(AccessDenied::Forbidden)
            );
            assert_eq!(grants.visible_modules(), set(&[Module::Orders]));
            assert_eq!(
                grants.effective_permissions(),
                set(&[permission(Module::Orders, Action::View)])
            );
        }
    }

    #[test]
    fn a_permission_on_a_disabled_module_is_still_refused() {
        let modules = set(&[Module::Orders]);
        let permissions = set(&[permission(Module::Catalog, Action::View)]);
        let grants = Grants {
            role: Role::Operator,
            permissions: &permissions,
            tenant_modules: &modules,
        };
        assert_eq!(
            grants.check(Module::Catalog, Action::View),
            Err(AccessDenied::ModuleDisabled(Module::Catalog))
        );
        assert!(grants.visible_modules().is_empty());
    }

    #[test]
    fn nobody_assigns_above_their_rank_and_only_owners_make_owners() {
        assert!(Role::Owner.may_assign(Role::Owner));
        assert!(Role::Admin.may_assign(Role::Admin));
        assert!(!Role::Admin.may_assign(Role::Owner));
        assert!(Role::Manager.may_assign(Role::Operator));
        assert!(!Role::Manager.may_assign(Role::Admin));
        assert!(!Role::Operator.may_assign(Role::Manager));
    }

    #[test]
    fn grantors_grant_only_what_they_hold() {
        let orders_view = permission(Module::Orders, Action::View);
        let orders_update = permission(Module::Orders, Action::Update);
        let billing_view = permission(Module::Billing, Action::View);
        let users_update = permission(Module::Users, Action::Update);
        let own = set(&[orders_view, users_update]);
        // (role, granted, expected)
        let cases = [
            (Role::Owner, vec![billing_view, orders_update], Ok(())),
            (Role::Admin, vec![orders_update, users_update], Ok(())),
            (
                Role::Admin,
                vec![orders_view, billing_view],
                Err(GrantDenied::NotHeld(billing_view)),
            ),
            (Role::Manager, vec![orders_view, users_update], Ok(())),
            (
                Role::Manager,
                vec![orders_view, orders_update],
                Err(GrantDenied::NotHeld(orders_update)),
            ),
            (
                Role::Operator,
                vec![billing_view],
                Err(GrantDenied::NotHeld(billing_view)),
            ),
            (Role::Operator, vec![orders_view], Ok(())),
            (Role::Manager, vec![], Ok(())),
        ];
        for (role, granted, expected) in cases {
            let grantor = Grantor { role, held: &own };
            assert_eq!(grantor.may_grant(&granted), expected, "{role} {granted:?}");
        }
        // Managers and operators without groups hold nothing at all.
        let none = BTreeSet::new();
        for role in [Role::Manager, Role::Operator] {
            let grantor = Grantor { role, held: &none };
            for module in Module::ALL {
                for action in Action::ALL {
                    assert!(!grantor.holds(permission(module, action)));
                }
            }
        }
        // Owners hold every pair; admins every pair but billing's.
        for module in Module::ALL {
            for action in Action::ALL {
                let pair = permission(module, action);
                assert!(
                    Grantor {
                        role: Role::Owner,
                        held: &none
                    }
                    .holds(pair)
                );
                assert_eq!(
                    Grantor {
                        role: Role::Admin,
                        held: &none
                    }
                    .holds(pair),
                    module != Module::Billing
                );
            }
        }
    }

    #[test]
    fn refused_grants_name_the_permission() {
        let message = GrantDenied::NotHeld(permission(Module::Billing, Action::Update)).to_string();
        assert!(message.contains("billing:update"), "{message}");
    }

    fn change(actor: Role, target: Role) -> UserChange {
        UserChange {
            actor,
            is_self: false,
            target,
            new_role: None,
            changes_groups: false,
            sets_password: false,
        }
    }

    #[test]
    fn nobody_changes_their_own_role_or_groups() {
        for role in Role::ALL {
            let own = UserChange {
                is_self: true,
                ..change(role, role)
            };
            for new_role in Role::ALL.into_iter().filter(|r| *r != role) {
                assert_eq!(
                    check_user_change(&UserChange {
                        new_role: Some(new_role),
                        ..own
                    }),
                    Err(GrantDenied::OwnRole),
                    "{role} → {new_role}"
                );
            }
            assert_eq!(
                check_user_change(&UserChange {
                    changes_groups: true,
                    ..own
                }),
                Err(GrantDenied::OwnGroups),
                "{role}"
            );
            // Their own name or password is theirs to change.
            assert_eq!(
                check_user_change(&UserChange {
                    sets_password: true,
                    ..own
                }),
                Ok(()),
                "{role}"
            );
        }
    }

    #[test]
    fn only_owners_reset_the_password_of_their_own_rank() {
        use Role::{Admin, Manager, Operator, Owner};
        // (actor, target, expected)
        let cases = [
            (Owner, Owner, Ok(())),
            (Owner, Admin, Ok(())),
            (Owner, Operator, Ok(())),
            (Admin, Admin, Err(GrantDenied::PasswordOfSameRank(Admin))),
            (Admin, Manager, Ok(())),
            (
                Manager,
                Manager,
                Err(GrantDenied::PasswordOfSameRank(Manager)),
            ),
            (Manager, Operator, Ok(())),
            (
                Operator,
                Operator,
                Err(GrantDenied::PasswordOfSameRank(Operator)),
            ),
            (
                Admin,
                Owner,
                Err(GrantDenied::TargetAbove {
                    actor: Admin,
                    target: Owner,
                }),
            ),
            (
                Manager,
                Admin,
                Err(GrantDenied::TargetAbove {
                    actor: Manager,
                    target: Admin,
                }),
            ),
        ];
        for (actor, target, expected) in cases {
            assert_eq!(
                check_user_change(&UserChange {
                    sets_password: true,
                    ..change(actor, target)
                }),
                expected,
                "{actor} resets a {target}"
            );
        }
    }

    #[test]
    fn roles_given_to_others_stay_within_rank() {
        use Role::{Admin, Manager, Operator, Owner};
        let cases = [
            (Owner, Admin, Owner, Ok(())),
            (Admin, Manager, Admin, Ok(())),
            (
                Admin,
                Manager,
                Owner,
                Err(GrantDenied::RoleAbove {
                    actor: Admin,
                    role: Owner,
                }),
            ),
            (Manager, Operator, Manager, Ok(())),
            (
                Manager,
                Operator,
                Admin,
                Err(GrantDenied::RoleAbove {
                    actor: Manager,
                    role: Admin,
                }),
            ),
            (
                Operator,
                Manager,
                Operator,
                Err(GrantDenied::TargetAbove {
                    actor: Operator,
                    target: Manager,
                }),
            ),
        ];
        for (actor, target, new_role, expected) in cases {
            assert_eq!(
                check_user_change(&UserChange {
                    new_role: Some(new_role),
                    changes_groups: true,
                    ..change(actor, target)
                }),
                expected,
                "{actor} makes a {target} a {new_role}"
            );
        }
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Loja.COM.br ").map(|e| e.0),
            Ok("ana@loja.com.br".into())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@loja.com",
            "ana@loja",
            "ana @loja.com",
            "a@b@c.com",
            "ana@.com",
        ] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad:?}");
        }
    }

    #[test]
    fn passwords_have_bounds_and_hide_in_debug() {
        assert!(NewPassword::parse("1234567").is_err());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        let password = NewPassword::parse("correct horse").expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
