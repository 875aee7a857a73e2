//! Least privilege (docs/operations.md#fairness-and-saturation "Grants"), role by role through real HTTP: nobody grants — to a
//! group, or to a user through groups — a permission they do not hold; nobody changes their
//! own role or groups; only an owner resets the password of someone of their own rank;
//! re-activating a user counts against `users_limit`.

use std::sync::LazyLock;

use reqwest::Method;
use serde_json::{Value, json as j};

use crate::central::central_app;
use crate::support::{OWNER_PASSWORD, Session, TestApp, json, spawn_app_with};

const STAFF_PASSWORD: &str = "senha-da-equipe";

/// An app for many cases in a row: without the per-IP request limit.
async fn app() -> TestApp {
    spawn_app_with(&[("RATE_LIMIT_ENABLED", "false")]).await
}

/// `(module, action)`.
type Perm = (&'static str, &'static str);

const USERS_ALL: &[Perm] = &[("users", "view"), ("users", "create"), ("users", "update")];
const GROUPS_ALL: &[Perm] = &[
    ("groups", "view"),
    ("groups", "create"),
    ("groups", "update"),
];
const ORDERS_VIEW: &[Perm] = &[("orders", "view")];
const BILLING_VIEW: &[Perm] = &[("billing", "view")];

/// What the actor attempts.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// `POST /admin/groups` with these permissions.
    CreateGroup(&'static [Perm]),
    /// The owner makes a group with `before`; the actor sets its permissions to `after`.
    SetGroupPermissions {
        before: &'static [Perm],
        after: &'static [Perm],
    },
    /// The actor sets the permissions of the group that gives them theirs.
    SetOwnGroupPermissions(&'static [Perm]),
    /// The owner makes a group with `group`; the actor creates a `role` user in it.
    CreateUser {
        role: &'static str,
        group: &'static [Perm],
    },
    /// The owner makes a `target` user and a group with `group`; the actor adds them to it.
    AssignGroup {
        target: &'static str,
        group: &'static [Perm],
    },
    /// As `AssignGroup`, but the owner widens the group to `widened` before the actor assigns
    /// it: what counts is what the group grants when it is assigned.
    AssignWidenedGroup {
        target: &'static str,
        group: &'static [Perm],
        widened: &'static [Perm],
    },
    /// The owner makes a `target` user in a group with `group`; the actor takes them out.
    RemoveGroup {
        target: &'static str,
        group: &'static [Perm],
    },
    /// The owner makes a `target` user; the actor gives them the role `to`.
    ChangeRole {
        target: &'static str,
        to: &'static str,
    },
    /// The owner makes a `target` user; the actor sets their password.
    ResetPassword { target: &'static str },
    /// The owner makes a group with these permissions; the actor adds it to their own groups.
    OwnGroups(&'static [Perm]),
    /// The actor leaves all their groups.
    LeaveOwnGroups,
    /// The actor gives themselves this role.
    OwnRole(&'static str),
    /// The actor changes their own password.
    OwnPassword,
    /// The owner makes a `target` user and deactivates them; the tenant's `users_limit` is
    /// set to the active users (`full`) or one more; the actor re-activates the user.
    Reactivate { target: &'static str, full: bool },
}

#[derive(Debug, Clone, Copy)]
struct Case {
    /// The actor's role; `owner` is the tenant's owner itself.
    actor: &'static str,
    /// The permissions of the actor's group (managers and operators have only these).
    groups: &'static [Perm],
    act: Act,
    status: u16,
    /// The `code` of an error answer.
    code: Option<&'static str>,
    /// What the `detail` of an error answer names (the permission lacked).
    names: Option<&'static str>,
}

const fn ok(actor: &'static str, groups: &'static [Perm], act: Act, status: u16) -> Case {
    Case {
        actor,
        groups,
        act,
        status,
        code: None,
        names: None,
    }
}

const fn forbidden(
    actor: &'static str,
    groups: &'static [Perm],
    act: Act,
    names: Option<&'static str>,
) -> Case {
    Case {
        actor,
        groups,
        act,
        status: 403,
        code: Some("forbidden"),
        names,
    }
}

fn permissions(perms: &[Perm]) -> Value {
    perms
        .iter()
        .map(|(module, action)| j!({"module": module, "action": action}))
        .collect()
}

/// Every `(module, action)` there is.
static EVERY_PERMISSION: LazyLock<Vec<Perm>> = LazyLock::new(|| {
    const MODULES: [&str; 14] = [
        "orders",
        "catalog",
        "config",
        "customers",
        "campaigns",
        "stores",
        "shipping",
        "inventory",
        "users",
        "groups",
        "insights",
        "billing",
        "whatsapp",
        "onboarding",
    ];
    MODULES
        .iter()
        .flat_map(|module| {
            ["view", "create", "update", "delete"]
                .into_iter()
                .map(move |action| (*module, action))
        })
        .collect()
});

fn every_permission() -> &'static [Perm] {
    EVERY_PERMISSION.as_slice()
}

/// The tenant of one case: its owner and the actor.
struct Scene {
    owner: Session,
    actor_token: String,
    actor_id: String,
    /// The group that gives the actor their permissions (none for the owner).
    actor_group: Option<String>,
    seq: std::cell::Cell<u32>,
}

impl Scene {
    fn email(&self, what: &str) -> String {
        self.seq.set(self.seq.get() + 1);
        format!(
            "{what}{}@{}.com.br",
            self.seq.get(),
            self.owner.tenant.slug.as_str()
        )
    }
}

async fn id_of(app: &TestApp, token: &str) -> String {
    json(app.send_token(token, Method::GET, "/auth/me", None).await).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn owner_group(app: &TestApp, owner: &Session, name: &str, perms: &[Perm]) -> String {
    let response = app
        .send(
            owner,
            Method::POST,
            "/admin/groups",
            Some(j!({"name": name, "permissions": permissions(perms)})),
        )
        .await;
    assert_eq!(response.status(), 201, "the owner makes group {name}");
    json(response).await["id"].as_str().expect("id").to_owned()
}

/// A user made by the owner; answers their id.
async fn owner_user(
    app: &TestApp,
    owner: &Session,
    email: &str,
    role: &str,
    groups: &[String],
) -> String {
    let response = app
        .send(
            owner,
            Method::POST,
            "/admin/users",
            Some(
                j!({"email": email, "password": STAFF_PASSWORD, "role": role, "group_ids": groups}),
            ),
        )
        .await;
    assert_eq!(response.status(), 201, "the owner makes {email}");
    json(response).await["id"].as_str().expect("id").to_owned()
}

async fn scene(app: &TestApp, slug: &str, actor: &str, groups: &[Perm]) -> Scene {
    let owner = app.tenant_with_owner(slug).await;
    if actor == "owner" {
        let actor_id = id_of(app, &owner.token).await;
        return Scene {
            actor_token: owner.token.clone(),
            actor_id,
            actor_group: None,
            owner,
            seq: std::cell::Cell::new(0),
        };
    }
    let group = owner_group(app, &owner, "Própria", groups).await;
    let email = format!("ator@{slug}.com.br");
    owner_user(app, &owner, &email, actor, std::slice::from_ref(&group)).await;
    let actor_token = app.login(slug, &email, STAFF_PASSWORD).await;
    let actor_id = id_of(app, &actor_token).await;
    Scene {
        owner,
        actor_token,
        actor_id,
        actor_group: Some(group),
        seq: std::cell::Cell::new(0),
    }
}

/// What the owner sees of the tenant's users and groups.
async fn snapshot(app: &TestApp, owner: &Session) -> (Value, Value) {
    let users = json(app.send(owner, Method::GET, "/admin/users", None).await).await;
    let groups = json(app.send(owner, Method::GET, "/admin/groups", None).await).await;
    (users, groups)
}

/// Sets up what the act needs, then performs it as the actor. Answers the response and, for a
/// password change, the user whose password it was.
async fn perform(
    app: &TestApp,
    scene: &Scene,
    act: Act,
) -> (reqwest::Response, Option<String>, (Value, Value)) {
    let owner = &scene.owner;
    let as_actor = |method: Method, path: String, body: Value| {
        let token = scene.actor_token.clone();
        async move { app.send_token(&token, method, &path, Some(body)).await }
    };
    let mut password_of = None;
    let (method, path, body) = match act {
        Act::CreateGroup(perms) => (
            Method::POST,
            "/admin/groups".to_owned(),
            j!({"name": "Nova", "permissions": permissions(perms)}),
        ),
        Act::SetGroupPermissions { before, after } => {
            let group = owner_group(app, owner, "Existente", before).await;
            (
                Method::PATCH,
                format!("/admin/groups/{group}"),
                j!({"permissions": permissions(after)}),
            )
        }
        Act::SetOwnGroupPermissions(perms) => {
            let group = scene.actor_group.clone().expect("the actor has a group");
            (
                Method::PATCH,
                format!("/admin/groups/{group}"),
                j!({"permissions": permissions(perms)}),
            )
        }
        Act::CreateUser { role, group } => {
            let group = owner_group(app, owner, "Destino", group).await;
            (
                Method::POST,
                "/admin/users".to_owned(),
                j!({"email": scene.email("novo"), "password": STAFF_PASSWORD, "role": role, "group_ids": [group]}),
            )
        }
        Act::AssignGroup { target, group } => {
            let target = owner_user(app, owner, &scene.email("alvo"), target, &[]).await;
            let group = owner_group(app, owner, "Destino", group).await;
            (
                Method::PATCH,
                format!("/admin/users/{target}"),
                j!({"group_ids": [group]}),
            )
        }
        Act::AssignWidenedGroup {
            target,
            group,
            widened,
        } => {
            let target = owner_user(app, owner, &scene.email("alvo"), target, &[]).await;
            let group = owner_group(app, owner, "Destino", group).await;
            let widen = app
                .send(
                    owner,
                    Method::PATCH,
                    &format!("/admin/groups/{group}"),
                    Some(j!({"permissions": permissions(widened)})),
                )
                .await;
            assert_eq!(widen.status(), 200, "the owner widens the group");
            (
                Method::PATCH,
                format!("/admin/users/{target}"),
                j!({"group_ids": [group]}),
            )
        }
        Act::RemoveGroup { target, group } => {
            let group = owner_group(app, owner, "Destino", group).await;
            let target = owner_user(app, owner, &scene.email("alvo"), target, &[group]).await;
            (
                Method::PATCH,
                format!("/admin/users/{target}"),
                j!({"group_ids": []}),
            )
        }
        Act::ChangeRole { target, to } => {
            let target = owner_user(app, owner, &scene.email("alvo"), target, &[]).await;
            (
                Method::PATCH,
                format!("/admin/users/{target}"),
                j!({"role": to}),
            )
        }
        Act::ResetPassword { target } => {
            let email = scene.email("alvo");
            let target = owner_user(app, owner, &email, target, &[]).await;
            password_of = Some(email);
            (
                Method::PATCH,
                format!("/admin/users/{target}"),
                j!({"password": "senha-trocada-1"}),
            )
        }
        Act::OwnGroups(perms) => {
            let group = owner_group(app, owner, "Cobiçado", perms).await;
            let mut groups: Vec<String> = scene.actor_group.iter().cloned().collect();
            groups.push(group);
            (
                Method::PATCH,
                format!("/admin/users/{}", scene.actor_id),
                j!({"group_ids": groups}),
            )
        }
        Act::LeaveOwnGroups => (
            Method::PATCH,
            format!("/admin/users/{}", scene.actor_id),
            j!({"group_ids": []}),
        ),
        Act::OwnRole(role) => (
            Method::PATCH,
            format!("/admin/users/{}", scene.actor_id),
            j!({"role": role}),
        ),
        Act::OwnPassword => {
            password_of = Some(if scene.actor_group.is_some() {
                format!("ator@{}.com.br", owner.tenant.slug.as_str())
            } else {
                owner.email.clone()
            });
            (
                Method::PATCH,
                format!("/admin/users/{}", scene.actor_id),
                j!({"password": "senha-trocada-1"}),
            )
        }
        Act::Reactivate { target, full } => {
            let target = owner_user(app, owner, &scene.email("alvo"), target, &[]).await;
            let off = app
                .send(
                    owner,
                    Method::PATCH,
                    &format!("/admin/users/{target}"),
                    Some(j!({"is_active": false})),
                )
                .await;
            assert_eq!(off.status(), 200, "the owner deactivates the user");
            let tenant = owner.tenant.id;
            let active = app
                .scalar_i64(&format!(
                    "SELECT count(*) FROM users WHERE tenant_id = '{tenant}' AND is_active"
                ))
                .await;
            let limit = if full { active } else { active + 1 };
            app.sql(&format!(
                "UPDATE tenants SET users_limit = {limit} WHERE id = '{tenant}'"
            ))
            .await;
            (
                Method::PATCH,
                format!("/admin/users/{target}"),
                j!({"is_active": true}),
            )
        }
    };
    let before = snapshot(app, owner).await;
    (as_actor(method, path, body).await, password_of, before)
}

/// Runs one case in a tenant of its own; answers what did not go as expected.
async fn run(app: &TestApp, index: usize, case: &Case) -> Vec<String> {
    let label = format!(
        "#{index} {} with {:?}: {:?}",
        case.actor, case.groups, case.act
    );
    let mut wrong = Vec::new();
    let mut expect = |holds: bool, what: String| {
        if !holds {
            wrong.push(format!("{label}: {what}"));
        }
    };
    let slug = format!("regra{index}");
    let scene = scene(app, &slug, case.actor, case.groups).await;
    let (response, password_of, before) = perform(app, &scene, case.act).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    expect(
        status == case.status,
        format!("status {status}, expected {}: {body}", case.status),
    );
    if let Some(code) = case.code {
        expect(
            body["code"] == code,
            format!("code should be {code}: {body}"),
        );
    }
    if let Some(names) = case.names {
        let detail = body["detail"].as_str().unwrap_or_default();
        expect(
            detail.contains(names),
            format!("detail should name {names:?}: {body}"),
        );
    }
    let owner = &scene.owner;
    if case.status >= 400 {
        expect(
            snapshot(app, owner).await == before,
            "users or groups changed".to_owned(),
        );
    }
    if let Some(email) = &password_of {
        let password = match (case.status >= 400, email == &owner.email) {
            (false, _) => "senha-trocada-1",
            (true, true) => OWNER_PASSWORD,
            (true, false) => STAFF_PASSWORD,
        };
        let login = app.try_login(&slug, email, password).await;
        expect(
            login.status() == 200,
            format!("{email} should sign in with {password}"),
        );
    }
    wrong
}

/// Runs every case, then fails naming each one that went wrong.
async fn run_all(app: &TestApp, cases: &[Case]) {
    let mut wrong = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        wrong.extend(run(app, index, case).await);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_four_exploits_of_issue_13_are_forbidden() {
    let app = app().await;
    let cases = [
        // A manager with `users:update` adds themselves to a group.
        forbidden(
            "manager",
            USERS_ALL,
            Act::OwnGroups(BILLING_VIEW),
            Some("own groups"),
        ),
        // … even one granting only what they hold: their groups are not theirs to change.
        forbidden(
            "manager",
            USERS_ALL,
            Act::OwnGroups(&[("users", "view")]),
            Some("own groups"),
        ),
        // A manager with `groups:update` gives their own group every module.
        forbidden(
            "manager",
            GROUPS_ALL,
            Act::SetOwnGroupPermissions(every_permission()),
            Some("do not hold it"),
        ),
        // An admin creates a manager whose group includes billing.
        forbidden(
            "admin",
            &[],
            Act::CreateUser {
                role: "manager",
                group: BILLING_VIEW,
            },
            Some("billing:view"),
        ),
        // A manager resets another manager's password.
        forbidden(
            "manager",
            USERS_ALL,
            Act::ResetPassword { target: "manager" },
            Some("password"),
        ),
    ];
    run_all(&app, &cases).await;
}

#[tokio::test]
async fn groups_carry_only_what_their_grantor_holds() {
    let app = app().await;
    let manager_groups: &[Perm] = &[
        ("groups", "view"),
        ("groups", "create"),
        ("groups", "update"),
        ("orders", "view"),
    ];
    let cases = [
        ok("owner", &[], Act::CreateGroup(BILLING_VIEW), 201),
        ok("owner", &[], Act::CreateGroup(every_permission()), 201),
        ok(
            "admin",
            &[],
            Act::CreateGroup(&[("orders", "delete"), ("users", "update")]),
            201,
        ),
        forbidden(
            "admin",
            &[],
            Act::CreateGroup(&[("orders", "view"), ("billing", "update")]),
            Some("billing:update"),
        ),
        ok(
            "manager",
            manager_groups,
            Act::CreateGroup(ORDERS_VIEW),
            201,
        ),
        forbidden(
            "manager",
            manager_groups,
            Act::CreateGroup(&[("orders", "view"), ("orders", "update")]),
            Some("orders:update"),
        ),
        ok(
            "operator",
            &[("groups", "create"), ("orders", "view")],
            Act::CreateGroup(ORDERS_VIEW),
            201,
        ),
        forbidden(
            "operator",
            &[("groups", "create"), ("orders", "view")],
            Act::CreateGroup(&[("customers", "view")]),
            Some("customers:view"),
        ),
        ok(
            "owner",
            &[],
            Act::SetGroupPermissions {
                before: ORDERS_VIEW,
                after: BILLING_VIEW,
            },
            200,
        ),
        forbidden(
            "admin",
            &[],
            Act::SetGroupPermissions {
                before: ORDERS_VIEW,
                after: &[("orders", "view"), ("billing", "view")],
            },
            Some("billing:view"),
        ),
        ok(
            "admin",
            &[],
            Act::SetGroupPermissions {
                before: ORDERS_VIEW,
                after: &[("catalog", "update")],
            },
            200,
        ),
        // Adding what they hold to a group that already has more is granting only that.
        ok(
            "manager",
            manager_groups,
            Act::SetGroupPermissions {
                before: BILLING_VIEW,
                after: &[("billing", "view"), ("orders", "view")],
            },
            200,
        ),
        // Taking away is not granting.
        ok(
            "manager",
            manager_groups,
            Act::SetGroupPermissions {
                before: &[("billing", "view"), ("orders", "view")],
                after: ORDERS_VIEW,
            },
            200,
        ),
        forbidden(
            "manager",
            manager_groups,
            Act::SetGroupPermissions {
                before: ORDERS_VIEW,
                after: &[("orders", "view"), ("orders", "delete")],
            },
            Some("orders:delete"),
        ),
        forbidden(
            "manager",
            manager_groups,
            Act::SetOwnGroupPermissions(&[
                ("groups", "view"),
                ("groups", "create"),
                ("groups", "update"),
                ("orders", "view"),
                ("users", "update"),
            ]),
            Some("users:update"),
        ),
        ok(
            "manager",
            manager_groups,
            Act::SetOwnGroupPermissions(&[("groups", "update")]),
            200,
        ),
    ];
    run_all(&app, &cases).await;
}

#[tokio::test]
async fn users_get_only_groups_their_grantor_holds() {
    let app = app().await;
    let staff: &[Perm] = &[
        ("users", "view"),
        ("users", "create"),
        ("users", "update"),
        ("orders", "view"),
    ];
    let cases = [
        ok(
            "owner",
            &[],
            Act::CreateUser {
                role: "manager",
                group: BILLING_VIEW,
            },
            201,
        ),
        ok(
            "admin",
            &[],
            Act::CreateUser {
                role: "manager",
                group: &[("orders", "update"), ("users", "view")],
            },
            201,
        ),
        ok(
            "manager",
            staff,
            Act::CreateUser {
                role: "operator",
                group: ORDERS_VIEW,
            },
            201,
        ),
        forbidden(
            "manager",
            staff,
            Act::CreateUser {
                role: "operator",
                group: &[("orders", "view"), ("orders", "update")],
            },
            Some("orders:update"),
        ),
        forbidden(
            "manager",
            staff,
            Act::CreateUser {
                role: "admin",
                group: &[],
            },
            Some("admin"),
        ),
        ok(
            "operator",
            staff,
            Act::CreateUser {
                role: "operator",
                group: ORDERS_VIEW,
            },
            201,
        ),
        forbidden(
            "operator",
            staff,
            Act::CreateUser {
                role: "operator",
                group: BILLING_VIEW,
            },
            Some("billing:view"),
        ),
        ok(
            "owner",
            &[],
            Act::AssignGroup {
                target: "admin",
                group: BILLING_VIEW,
            },
            200,
        ),
        forbidden(
            "admin",
            &[],
            Act::AssignGroup {
                target: "manager",
                group: BILLING_VIEW,
            },
            Some("billing:view"),
        ),
        ok(
            "admin",
            &[],
            Act::AssignGroup {
                target: "admin",
                group: &[("catalog", "delete")],
            },
            200,
        ),
        ok(
            "manager",
            staff,
            Act::AssignGroup {
                target: "operator",
                group: ORDERS_VIEW,
            },
            200,
        ),
        forbidden(
            "manager",
            staff,
            Act::AssignGroup {
                target: "operator",
                group: &[("customers", "view")],
            },
            Some("customers:view"),
        ),
        // The group granted only what the manager holds when it was made; not any more.
        forbidden(
            "manager",
            staff,
            Act::AssignWidenedGroup {
                target: "operator",
                group: ORDERS_VIEW,
                widened: &[("orders", "view"), ("billing", "view")],
            },
            Some("billing:view"),
        ),
        forbidden(
            "operator",
            staff,
            Act::AssignGroup {
                target: "operator",
                group: &[("orders", "delete")],
            },
            Some("orders:delete"),
        ),
        // Taking a group away is not granting.
        ok(
            "manager",
            staff,
            Act::RemoveGroup {
                target: "operator",
                group: BILLING_VIEW,
            },
            200,
        ),
        forbidden(
            "manager",
            staff,
            Act::AssignGroup {
                target: "admin",
                group: ORDERS_VIEW,
            },
            Some("admin"),
        ),
    ];
    run_all(&app, &cases).await;
}

#[tokio::test]
async fn nobody_changes_their_own_role_or_groups() {
    let app = app().await;
    let cases = [
        // The 403 comes before `last_owner`: an owner's role is never theirs to change.
        forbidden("owner", &[], Act::OwnRole("admin"), Some("own role")),
        forbidden("admin", &[], Act::OwnRole("manager"), Some("own role")),
        forbidden("admin", &[], Act::OwnRole("owner"), Some("own role")),
        forbidden(
            "manager",
            USERS_ALL,
            Act::OwnRole("operator"),
            Some("own role"),
        ),
        forbidden(
            "operator",
            USERS_ALL,
            Act::OwnRole("manager"),
            Some("own role"),
        ),
        forbidden(
            "owner",
            &[],
            Act::OwnGroups(ORDERS_VIEW),
            Some("own groups"),
        ),
        forbidden(
            "admin",
            &[],
            Act::OwnGroups(ORDERS_VIEW),
            Some("own groups"),
        ),
        forbidden(
            "operator",
            USERS_ALL,
            Act::OwnGroups(&[("users", "view")]),
            Some("own groups"),
        ),
        forbidden(
            "manager",
            USERS_ALL,
            Act::LeaveOwnGroups,
            Some("own groups"),
        ),
        // Their own password stays theirs to change, whatever their rank.
        ok("owner", &[], Act::OwnPassword, 200),
        ok("admin", &[], Act::OwnPassword, 200),
        ok("manager", USERS_ALL, Act::OwnPassword, 200),
        ok("operator", USERS_ALL, Act::OwnPassword, 200),
        // Roles of others stay within rank, as before.
        ok(
            "owner",
            &[],
            Act::ChangeRole {
                target: "admin",
                to: "owner",
            },
            200,
        ),
        ok(
            "admin",
            &[],
            Act::ChangeRole {
                target: "manager",
                to: "admin",
            },
            200,
        ),
        forbidden(
            "admin",
            &[],
            Act::ChangeRole {
                target: "manager",
                to: "owner",
            },
            Some("owner"),
        ),
        ok(
            "manager",
            USERS_ALL,
            Act::ChangeRole {
                target: "operator",
                to: "manager",
            },
            200,
        ),
    ];
    run_all(&app, &cases).await;
}

#[tokio::test]
async fn only_owners_reset_the_password_of_their_own_rank() {
    let app = app().await;
    let cases = [
        ok("owner", &[], Act::ResetPassword { target: "owner" }, 200),
        ok("owner", &[], Act::ResetPassword { target: "admin" }, 200),
        forbidden(
            "admin",
            &[],
            Act::ResetPassword { target: "admin" },
            Some("password"),
        ),
        ok("admin", &[], Act::ResetPassword { target: "manager" }, 200),
        forbidden(
            "admin",
            &[],
            Act::ResetPassword { target: "owner" },
            Some("owner"),
        ),
        ok(
            "manager",
            USERS_ALL,
            Act::ResetPassword { target: "operator" },
            200,
        ),
        forbidden(
            "manager",
            USERS_ALL,
            Act::ResetPassword { target: "admin" },
            Some("admin"),
        ),
        forbidden(
            "operator",
            USERS_ALL,
            Act::ResetPassword { target: "operator" },
            Some("password"),
        ),
    ];
    run_all(&app, &cases).await;
}

#[tokio::test]
async fn reactivating_a_user_counts_against_the_users_limit() {
    let app = app().await;
    let full = Case {
        actor: "owner",
        groups: &[],
        act: Act::Reactivate {
            target: "operator",
            full: true,
        },
        status: 409,
        code: Some("limit_reached"),
        names: None,
    };
    let cases = [
        full,
        Case {
            actor: "manager",
            groups: USERS_ALL,
            ..full
        },
        ok(
            "owner",
            &[],
            Act::Reactivate {
                target: "operator",
                full: false,
            },
            200,
        ),
        ok(
            "admin",
            &[],
            Act::Reactivate {
                target: "manager",
                full: false,
            },
            200,
        ),
    ];
    run_all(&app, &cases).await;
}

/// The central admin acts in any tenant as its owner would: the rule grants them everything
/// there, and `last_owner` and `users_limit` still hold.
#[tokio::test]
async fn the_central_admin_still_acts_as_the_tenants_owner() {
    let (app, central) = central_app().await;
    let owner = app.tenant_with_owner("cliente-central").await;
    let tenant = owner.tenant.id;
    let users = format!("/admin/central/tenants/{tenant}/users");
    let billing = owner_group(&app, &owner, "Financeiro", BILLING_VIEW).await;

    let created = app
        .send(
            &central,
            Method::POST,
            &users,
            Some(j!({"email": "gerente@cliente-central.com.br", "password": STAFF_PASSWORD, "role": "manager", "group_ids": [billing]})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let manager = json(created).await["id"].as_str().expect("id").to_owned();

    let everything = owner_group(&app, &owner, "Tudo", every_permission()).await;
    let assigned = app
        .send(
            &central,
            Method::PATCH,
            &format!("{users}/{manager}"),
            Some(j!({"group_ids": [billing, everything], "password": "senha-nova-do-gerente"})),
        )
        .await;
    assert_eq!(assigned.status(), 200);
    assert_eq!(
        json(assigned).await["group_ids"].as_array().map(Vec::len),
        Some(2)
    );
    app.login(
        "cliente-central",
        "gerente@cliente-central.com.br",
        "senha-nova-do-gerente",
    )
    .await;

    let owner_id = id_of(&app, &owner.token).await;
    let reset = app
        .send(
            &central,
            Method::PATCH,
            &format!("{users}/{owner_id}"),
            Some(j!({"password": "senha-nova-do-dono"})),
        )
        .await;
    assert_eq!(reset.status(), 200, "an owner resets an owner's password");
    let demote = app
        .send(
            &central,
            Method::PATCH,
            &format!("{users}/{owner_id}"),
            Some(j!({"role": "admin"})),
        )
        .await;
    assert_eq!(demote.status(), 409);
    assert_eq!(json(demote).await["code"], "last_owner");

    let off = app
        .send(
            &central,
            Method::PATCH,
            &format!("{users}/{manager}"),
            Some(j!({"is_active": false})),
        )
        .await;
    assert_eq!(off.status(), 200);
    app.sql(&format!(
        "UPDATE tenants SET users_limit = 1 WHERE id = '{tenant}'"
    ))
    .await;
    let back = app
        .send(
            &central,
            Method::PATCH,
            &format!("{users}/{manager}"),
            Some(j!({"is_active": true})),
        )
        .await;
    assert_eq!(back.status(), 409);
    assert_eq!(json(back).await["code"], "limit_reached");
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM users WHERE tenant_id = '{tenant}' AND is_active"
        ))
        .await,
        1
    );
}
