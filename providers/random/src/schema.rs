//! The schemas of the `random` provider's resources, as `hashicorp/random` 3.x declares them.

use cairn_provider::{Attribute, ProviderSchema, ResourceSchema, Schema, Type};

pub const TYPES: [&str; 7] = [
    "random_id",
    "random_integer",
    "random_password",
    "random_pet",
    "random_shuffle",
    "random_string",
    "random_uuid",
];

fn keepers() -> Attribute {
    Attribute::optional(Type::map(Type::String))
        .force_new()
        .describe(
            "Arbitrary map of values that, when changed, will trigger recreation of resource.",
        )
}

fn string_like(sensitive: bool) -> Schema {
    let flag = |d: &str| {
        Attribute::optional_computed(Type::Bool)
            .force_new()
            .describe(d)
    };
    let min = |d: &str| {
        Attribute::optional_computed(Type::Number)
            .force_new()
            .describe(d)
    };
    let mut result = Attribute::computed(Type::String).describe("The generated random string.");
    if sensitive {
        result = result.sensitive();
    }
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("keepers", keepers())
        .attr(
            "length",
            Attribute::required(Type::Number)
                .force_new()
                .describe("The length of the string desired."),
        )
        .attr("special", flag("Include special characters in the result. Default value is `true`."))
        .attr("upper", flag("Include uppercase alphabet characters in the result. Default value is `true`."))
        .attr("lower", flag("Include lowercase alphabet characters in the result. Default value is `true`."))
        .attr("numeric", flag("Include numeric characters in the result. Default value is `true`."))
        .attr("number", flag("**NOTE**: This is deprecated, use `numeric` instead."))
        .attr("min_numeric", min("Minimum number of numeric characters in the result. Default value is `0`."))
        .attr("min_upper", min("Minimum number of uppercase alphabet characters in the result. Default value is `0`."))
        .attr("min_lower", min("Minimum number of lowercase alphabet characters in the result. Default value is `0`."))
        .attr("min_special", min("Minimum number of special characters in the result. Default value is `0`."))
        .attr(
            "override_special",
            Attribute::optional(Type::String)
                .force_new()
                .describe("Supply your own list of special characters to use for string generation."),
        )
        .attr("result", result)
}

/// The schema of a resource type, or `None` if the provider has no such type.
pub fn resource(type_name: &str) -> Option<cairn_provider::Schema> {
    let s = match type_name {
        "random_id" => Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("keepers", keepers())
            .attr("byte_length", Attribute::required(Type::Number).force_new())
            .attr("prefix", Attribute::optional(Type::String).force_new())
            .attr("b64_url", Attribute::computed(Type::String))
            .attr("b64_std", Attribute::computed(Type::String))
            .attr("hex", Attribute::computed(Type::String))
            .attr("dec", Attribute::computed(Type::String)),
        "random_string" => string_like(false).with_version(2),
        "random_password" => string_like(true)
            .attr("bcrypt_hash", Attribute::computed(Type::String).sensitive())
            .with_version(3),
        "random_integer" => Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("keepers", keepers())
            .attr("min", Attribute::required(Type::Number).force_new())
            .attr("max", Attribute::required(Type::Number).force_new())
            .attr("seed", Attribute::optional(Type::String).force_new())
            .attr("result", Attribute::computed(Type::Number)),
        "random_uuid" => Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("keepers", keepers())
            .attr("result", Attribute::computed(Type::String)),
        "random_pet" => Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("keepers", keepers())
            .attr(
                "length",
                Attribute::optional_computed(Type::Number).force_new(),
            )
            .attr("prefix", Attribute::optional(Type::String).force_new())
            .attr(
                "separator",
                Attribute::optional_computed(Type::String).force_new(),
            ),
        "random_shuffle" => Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("keepers", keepers())
            .attr(
                "input",
                Attribute::required(Type::list(Type::String)).force_new(),
            )
            .attr("seed", Attribute::optional(Type::String).force_new())
            .attr(
                "result_count",
                Attribute::optional(Type::Number).force_new(),
            )
            .attr("result", Attribute::computed(Type::list(Type::String))),
        _ => return None,
    };
    Some(s)
}

pub fn provider_schema() -> ProviderSchema {
    let mut s = ProviderSchema::default();
    for t in TYPES {
        if let Some(schema) = resource(t) {
            s.resources
                .insert(t.to_string(), ResourceSchema::new(schema, false));
        }
    }
    s
}
