//! The managed resource types, one module each, and small helpers they share (filters,
//! chunking ids for batched Describe* calls, aligning batched results with the request).

use std::collections::HashMap;

use aws_sdk_ec2::types::Filter;
use cairn_provider::Value;

use crate::values::get_str;

pub(crate) mod ebs_volume;
pub(crate) mod eip;
pub(crate) mod instance;
pub(crate) mod key_pair;
pub(crate) mod launch_template;
pub(crate) mod nat_gateway;
pub(crate) mod subnet;
pub(crate) mod volume_attachment;
pub(crate) mod vpc;

/// How many values one Describe* filter may carry.
pub(crate) const FILTER_CHUNK: usize = 200;

/// An EC2 filter.
pub(crate) fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

/// The known `id`s of the current values, deduplicated, in order.
pub(crate) fn ids_of(current: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in current {
        if let Some(id) = get_str(c, "id")
            && !out.iter().any(|x| x == id)
        {
            out.push(id.to_string());
        }
    }
    out
}

/// Aligns objects found by id with the current values: each current value's object, or `None`
/// when it is gone (or has no id).
pub(crate) fn align<T>(
    current: &[Value],
    found: &HashMap<String, T>,
    mut to_value: impl FnMut(&Value, &T) -> Value,
) -> Vec<Option<Value>> {
    current
        .iter()
        .map(|c| {
            let id = get_str(c, "id")?;
            found.get(id).map(|o| to_value(c, o))
        })
        .collect()
}
