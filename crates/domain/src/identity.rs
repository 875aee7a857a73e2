//! Who may do what (SPEC §5): roles, permissions, e-mail addresses, passwords.

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
        match self.role {
            Role::Owner => true,
            Role::Admin => module != Module::Billing,
            Role::Manager | Role::Operator => false,
        }
    }
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
