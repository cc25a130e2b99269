//! `vault providers`: the AI providers vault knows, with the variable names
//! their SDKs read. Tagging a secret with `--provider` lets vault refuse to
//! give one agent two credentials of the same provider.

use serde_json::json;

use crate::cli::ProvidersArgs;
use crate::error::{Error, Result};
use crate::ui;

pub struct Provider {
    pub id: &'static str,
    pub name: &'static str,
    /// The variable holding the credential.
    pub key_var: &'static str,
    /// Other variables its SDKs read (base URL, organisation).
    pub other_vars: &'static [&'static str],
}

pub const PROVIDERS: &[Provider] = &[
    Provider {
        id: "anthropic",
        name: "Anthropic",
        key_var: "ANTHROPIC_API_KEY",
        other_vars: &["ANTHROPIC_BASE_URL"],
    },
    Provider {
        id: "openai",
        name: "OpenAI",
        key_var: "OPENAI_API_KEY",
        other_vars: &["OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"],
    },
    Provider {
        id: "openrouter",
        name: "OpenRouter",
        key_var: "OPENROUTER_API_KEY",
        other_vars: &["OPENROUTER_BASE_URL"],
    },
    Provider {
        id: "venice",
        name: "Venice AI",
        key_var: "VENICE_API_KEY",
        other_vars: &["VENICE_BASE_URL"],
    },
    Provider {
        id: "google",
        name: "Google Gemini",
        key_var: "GEMINI_API_KEY",
        other_vars: &["GOOGLE_API_KEY"],
    },
    Provider {
        id: "mistral",
        name: "Mistral AI",
        key_var: "MISTRAL_API_KEY",
        other_vars: &[],
    },
    Provider {
        id: "groq",
        name: "Groq",
        key_var: "GROQ_API_KEY",
        other_vars: &[],
    },
    Provider {
        id: "xai",
        name: "xAI",
        key_var: "XAI_API_KEY",
        other_vars: &[],
    },
    Provider {
        id: "custom",
        name: "Custom OpenAI-compatible endpoint",
        key_var: "OPENAI_API_KEY",
        other_vars: &["OPENAI_BASE_URL"],
    },
];

/// The canonical id of a provider name given by the user (case-insensitive).
pub fn check_provider(p: &str) -> Result<&'static str> {
    let lower = p.to_ascii_lowercase();
    if let Some(found) = PROVIDERS.iter().find(|x| x.id == lower) {
        return Ok(found.id);
    }
    let ids: Vec<&str> = PROVIDERS.iter().map(|x| x.id).collect();
    let mut e = Error::invalid(format!("unknown provider {}", crate::model::shown(p)));
    e = match crate::model::did_you_mean(&lower, ids.iter().copied()) {
        Some(m) => e.hint(format!("did you mean {m}? (`vault providers` lists them; `custom` covers any OpenAI-compatible endpoint)")),
        None => e.hint(format!("known providers: {} (`custom` covers any OpenAI-compatible endpoint)", ids.join(", "))),
    };
    Err(e)
}

pub fn providers(args: &ProvidersArgs) -> Result<()> {
    if args.json {
        let items: Vec<_> = PROVIDERS
            .iter()
            .map(|p| json!({"id": p.id, "name": p.name, "key_variable": p.key_var, "other_variables": p.other_vars}))
            .collect();
        return ui::print_json(&serde_json::Value::Array(items));
    }
    let rows: Vec<Vec<String>> = PROVIDERS
        .iter()
        .map(|p| {
            vec![
                p.id.to_owned(),
                p.name.to_owned(),
                p.key_var.to_owned(),
                p.other_vars.join(", "),
            ]
        })
        .collect();
    ui::print_table(
        &["PROVIDER", "NAME", "KEY VARIABLE", "OTHER VARIABLES"],
        &rows,
    )
}
