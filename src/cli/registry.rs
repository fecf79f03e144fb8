//! The only place that names concrete providers: the table of providers linked into the
//! binary, keyed by the fully qualified source that `required_providers` blocks resolve to.

use cairn_provider::{Provider, ProviderFactory};

use crate::plan::Registry;
use crate::plan::providers::qualify_source;

/// The providers built into cairn.
pub struct Builtin {
    factories: Vec<(String, ProviderFactory)>,
}

impl Builtin {
    pub fn new() -> Builtin {
        let list: Vec<ProviderFactory> = vec![
            cairn_provider_builtin::factory,
            cairn_provider_builtin::null_factory,
            cairn_provider_time::factory,
            cairn_provider_random::factory,
            cairn_provider_local::factory,
            #[cfg(feature = "aws")]
            cairn_provider_aws::factory,
        ];
        let factories = list
            .into_iter()
            .map(|f| (qualify_source(f().meta().source), f))
            .collect();
        Builtin { factories }
    }
}

impl Default for Builtin {
    fn default() -> Builtin {
        Builtin::new()
    }
}

impl Registry for Builtin {
    fn instantiate(&self, source: &str) -> Option<Box<dyn Provider>> {
        let source = qualify_source(source);
        self.factories
            .iter()
            .find(|(s, _)| *s == source)
            .map(|(_, f)| f())
    }
    fn sources(&self) -> Vec<String> {
        self.factories.iter().map(|(s, _)| s.clone()).collect()
    }
}
