//! Plans and the modules they bring (docs/api.md#the-central-admin, `services/subscriptions` in the original).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::tenancy::Module;

/// Why a tenant has a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleSource {
    /// Comes with the tenant's plan; replaced when the plan changes.
    Plan,
    /// Granted by hand by the central admin; kept across plan changes.
    Manual,
}

impl ModuleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Manual => "manual",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "plan" => Some(Self::Plan),
            "manual" => Some(Self::Manual),
            _ => None,
        }
    }
}

/// The tenant's modules after moving to a plan with `plan_modules`: the old plan's modules are
/// replaced by the new plan's, modules granted by hand are kept (and stay manual even when the
/// new plan includes them, so a later downgrade does not take them away).
pub fn modules_after_plan_change(
    current: &BTreeMap<Module, ModuleSource>,
    plan_modules: &BTreeSet<Module>,
) -> BTreeMap<Module, ModuleSource> {
    let mut next: BTreeMap<Module, ModuleSource> = current
        .iter()
        .filter(|(_, source)| **source == ModuleSource::Manual)
        .map(|(module, source)| (*module, *source))
        .collect();
    for module in plan_modules {
        next.entry(*module).or_insert(ModuleSource::Plan);
    }
    next
}

/// The tenant's modules after the central admin sets them to exactly `wanted`: modules already
/// there keep their source, new ones are manual.
pub fn modules_set_by_hand(
    current: &BTreeMap<Module, ModuleSource>,
    wanted: &BTreeSet<Module>,
) -> BTreeMap<Module, ModuleSource> {
    wanted
        .iter()
        .map(|module| {
            (
                *module,
                current.get(module).copied().unwrap_or(ModuleSource::Manual),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(items: &[(Module, ModuleSource)]) -> BTreeMap<Module, ModuleSource> {
        items.iter().copied().collect()
    }

    #[test]
    fn plan_modules_are_replaced_and_manual_ones_kept() {
        let current = modules(&[
            (Module::Orders, ModuleSource::Plan),
            (Module::Insights, ModuleSource::Plan),
            (Module::Whatsapp, ModuleSource::Manual),
        ]);
        let new_plan: BTreeSet<Module> = [Module::Orders, Module::Catalog].into_iter().collect();
        let next = modules_after_plan_change(&current, &new_plan);
        assert_eq!(
            next,
            modules(&[
                (Module::Orders, ModuleSource::Plan),
                (Module::Catalog, ModuleSource::Plan),
                (Module::Whatsapp, ModuleSource::Manual),
            ])
        );
    }

    #[test]
    fn a_manual_module_stays_manual_when_the_plan_also_has_it() {
        let current = modules(&[(Module::Whatsapp, ModuleSource::Manual)]);
        let plan: BTreeSet<Module> = [Module::Whatsapp].into_iter().collect();
        let upgraded = modules_after_plan_change(&current, &plan);
        assert_eq!(
            upgraded,
            modules(&[(Module::Whatsapp, ModuleSource::Manual)])
        );
        let downgraded = modules_after_plan_change(&upgraded, &BTreeSet::new());
        assert_eq!(
            downgraded,
            modules(&[(Module::Whatsapp, ModuleSource::Manual)])
        );
    }

    #[test]
    fn setting_modules_by_hand_keeps_known_sources() {
        let current = modules(&[
            (Module::Orders, ModuleSource::Plan),
            (Module::Catalog, ModuleSource::Plan),
        ]);
        let wanted: BTreeSet<Module> = [Module::Orders, Module::Whatsapp].into_iter().collect();
        assert_eq!(
            modules_set_by_hand(&current, &wanted),
            modules(&[
                (Module::Orders, ModuleSource::Plan),
                (Module::Whatsapp, ModuleSource::Manual)
            ])
        );
    }
}
