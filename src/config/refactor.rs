//! Decoding of the refactoring, adoption and validation blocks: `moved`, `import`, `removed`
//! and `check`. Like the rest of [`super`] (it is a child of `load`), it only checks the shape
//! of the blocks and keeps expressions unevaluated; what the addresses mean against state is
//! decided by `plan::refactor`.

use crate::lang::ast::{Attribute, Block, Expression, Span as _, Structure, TraversalOperator};

use super::{Decoder, RefStep, static_reference};
use crate::addr::{InstanceKey, Mode, ResourceAddr, Target, quote};
use crate::config::{Check, Import, Moved, Removed};

/// What an address argument may name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// A module, a resource or a resource instance (`moved`).
    Any,
    /// A module or a resource, without instance keys (`removed`).
    NoKeys,
}

impl Decoder<'_> {
    /// A static address (`terraform_data.a[0]`, `module.m["k"]`) as a [`Target`].
    fn address(&mut self, a: &Attribute, allowed: Allowed) -> Option<Target> {
        let steps = static_reference(&a.value, false);
        let text = steps.as_deref().and_then(steps_text);
        let parsed = text
            .and_then(|t| t.parse::<Target>().ok())
            .filter(|t| !reserved(t));
        let Some(target) = parsed else {
            self.error(
                "Invalid address",
                "An address is a module, a resource or a resource instance, like module.network or aws_instance.web[0].",
                a.value.span(),
            );
            return None;
        };
        let keyed = match &target {
            Target::Instance(_) => true,
            Target::Resource(r) => r.module.0.iter().any(|s| s.key != InstanceKey::None),
            Target::Module(m) => m.0.iter().any(|s| s.key != InstanceKey::None),
        };
        if allowed == Allowed::NoKeys && keyed {
            self.error(
                "Resource instance keys not allowed",
                "Resource address must be a resource (e.g. \"test_instance.foo\"), not a resource instance (e.g. \"test_instance.foo[1]\").",
                a.value.span(),
            );
            return None;
        }
        let data = match &target {
            Target::Resource(r) => r.mode == Mode::Data,
            Target::Instance(i) => i.resource.mode == Mode::Data,
            Target::Module(_) => false,
        };
        if data {
            self.error(
                "Invalid address",
                "Data sources cannot be moved or removed: only managed resources and modules can.",
                a.value.span(),
            );
            return None;
        }
        Some(target)
    }

    pub(super) fn moved(&mut self, b: Block) {
        if self.labels(&b, &[]).is_none() {
            return;
        }
        let span = self.header(&b);
        let (mut from, mut to) = (None, None);
        for s in b.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "from" => from = self.address(&a, Allowed::Any).map(|t| (t, a.value.span())),
                    "to" => to = self.address(&a, Allowed::Any).map(|t| (t, a.value.span())),
                    _ => self.unsupported_argument(&a),
                },
                Structure::Block(inner) => self.unsupported_block(&inner),
            }
        }
        let (Some((from, fs)), Some((to, ts))) = (from, to) else {
            return;
        };
        let span_of = |r: Option<std::ops::Range<usize>>| self.span(r).unwrap_or(span.clone());
        let (from_span, to_span) = (span_of(fs), span_of(ts));
        let kind = |t: &Target| match t {
            Target::Module(_) => 0,
            _ => 1,
        };
        if kind(&from) != kind(&to) {
            self.error_at(
                "Invalid \"moved\" addresses",
                format!("Cannot use moved to change {from} into {to}: a module can move only to a module, and a resource only to a resource."),
                to_span,
            );
            return;
        }
        if let (Target::Resource(f), Target::Resource(t))
        | (
            Target::Instance(crate::addr::InstanceAddr { resource: f, .. }),
            Target::Instance(crate::addr::InstanceAddr { resource: t, .. }),
        ) = (&from, &to)
            && f.ty != t.ty
        {
            self.error_at(
                "Resource type mismatch",
                format!("This statement declares a move from {from} to {to}, which is a {} of a different type.", if matches!(to, Target::Instance(_)) { "resource instance" } else { "resource" }),
                to_span,
            );
            return;
        }
        if matches!(
            (&from, &to),
            (Target::Resource(_), Target::Instance(_)) | (Target::Instance(_), Target::Resource(_))
        ) {
            self.error_at(
                "Invalid \"moved\" addresses",
                format!("Cannot move between a whole resource and a single instance: {from} and {to}. Give both addresses with an instance key, or neither."),
                to_span,
            );
            return;
        }
        if from == to {
            self.error_at(
                "Redundant move statement",
                format!("This statement declares a move from {from} to the same address, which is the same as not declaring this move at all."),
                span,
            );
            return;
        }
        self.module.moved.push(Moved {
            from,
            to,
            from_span,
            to_span,
            span,
        });
    }

    pub(super) fn import(&mut self, b: Block) {
        if self.labels(&b, &[]).is_none() {
            return;
        }
        let span = self.header(&b);
        let (mut to, mut id, mut for_each, mut provider) = (None, None, None, None);
        let mut to_given = false;
        for s in b.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "to" => {
                        to_given = true;
                        to = self.import_to(&a)
                    }
                    "id" => id = Some(self.expr(a.value)),
                    "for_each" => for_each = Some(self.expr(a.value)),
                    "provider" => provider = self.provider_ref(&a),
                    "identity" => self.error(
                        "Unsupported argument",
                        "Importing by identity is not supported; give the import id with \"id\".",
                        a.key.span(),
                    ),
                    _ => self.unsupported_argument(&a),
                },
                Structure::Block(inner) => self.unsupported_block(&inner),
            }
        }
        if !to_given {
            self.missing_argument("to", span.clone());
        }
        if id.is_none() {
            self.missing_argument("id", span.clone());
        }
        let (Some((to, key, to_span)), Some(id)) = (to, id) else {
            return;
        };
        if !self.module.path.eq(".") {
            self.error_at(
                "Invalid import configuration",
                "An import block was detected in a child module. Import blocks are only allowed in the root module.",
                span,
            );
            return;
        }
        self.module.imports.push(Import {
            to,
            key,
            id,
            for_each,
            provider,
            to_span,
            span,
        });
    }

    /// `to = TYPE.NAME`, `TYPE.NAME[KEY]` with a key that may be an expression of `each`.
    fn import_to(
        &mut self,
        a: &Attribute,
    ) -> Option<(ResourceAddr, Option<crate::config::Expr>, crate::diag::Span)> {
        let span = self.span(a.value.span())?;
        let invalid = |d: &mut Self| {
            d.error(
                "Invalid import address",
                "The import target must be a managed resource or one of its instances, like aws_instance.web or aws_instance.web[each.key].",
                a.value.span(),
            );
        };
        let (base, key) = match &a.value {
            Expression::Traversal(t)
                if matches!(
                    t.operators.last().map(|o| o.value()),
                    Some(TraversalOperator::Index(_))
                ) =>
            {
                let mut base = t.clone();
                let key = match base.operators.pop().map(|o| o.value().clone()) {
                    Some(TraversalOperator::Index(k)) => k,
                    _ => return None,
                };
                (Expression::Traversal(base), Some(self.expr(key)))
            }
            e => (e.clone(), None),
        };
        let text = static_reference(&base, false)
            .as_deref()
            .and_then(steps_text);
        match text.and_then(|t| t.parse::<Target>().ok()) {
            Some(Target::Resource(r))
                if r.mode == Mode::Managed && !RESERVED.contains(&r.ty.as_str()) =>
            {
                Some((r, key, span))
            }
            _ => {
                invalid(self);
                None
            }
        }
    }

    pub(super) fn removed(&mut self, b: Block) {
        if self.labels(&b, &[]).is_none() {
            return;
        }
        let span = self.header(&b);
        let (mut from, mut destroy, mut given) = (None, true, false);
        for s in b.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "from" => {
                        given = true;
                        from = self
                            .address(&a, Allowed::NoKeys)
                            .map(|t| (t, self.span(a.value.span())))
                    }
                    _ => self.unsupported_argument(&a),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "lifecycle" => {
                        for s in inner.body {
                            match s {
                                Structure::Attribute(a) if a.key.as_str() == "destroy" => {
                                    destroy = self.bool_arg(&a).unwrap_or(true)
                                }
                                Structure::Attribute(a) => self.unsupported_argument(&a),
                                Structure::Block(b) => self.unsupported_block(&b),
                            }
                        }
                    }
                    // Provisioners of removed blocks are not run (as elsewhere in cairn).
                    "provisioner" | "connection" => {
                        let at = self.header(&inner);
                        self.diags.push(
                            crate::diag::Diagnostic::warning(
                                "Provisioners are not supported",
                                "Provisioner and connection blocks are ignored.",
                            )
                            .at(at, ""),
                        );
                    }
                    _ => self.unsupported_block(&inner),
                },
            }
        }
        let Some((from, from_span)) = from else {
            if !given {
                self.missing_argument("from", span);
            }
            return;
        };
        self.module.removed.push(Removed {
            from,
            destroy,
            from_span: from_span.unwrap_or(span.clone()),
            span,
        });
    }

    pub(super) fn check(&mut self, b: Block) {
        let Some(labels) = self.labels(&b, &["name"]) else {
            return;
        };
        if !self.check_name(&b, 0, "check block name") {
            return;
        }
        let name = labels.into_iter().next().unwrap_or_default();
        let span = self.header(&b);
        if let Some(prev) = self.module.checks.get(&name) {
            let at = self.location(&prev.span);
            self.error_at(
                "Duplicate check block",
                format!("A check block named \"{name}\" was already declared at {at}. Check blocks must be unique within each module."),
                span,
            );
            return;
        }
        let mut check = Check {
            name: name.clone(),
            data: Vec::new(),
            asserts: Vec::new(),
            span: span.clone(),
        };
        let mut data_seen = false;
        for s in b.body {
            match s {
                Structure::Attribute(a) => self.unsupported_argument(&a),
                Structure::Block(inner) => match inner.ident.as_str() {
                    "assert" => {
                        if let Some(v) = self.condition(inner) {
                            check.asserts.push(v);
                        }
                    }
                    "data" if data_seen => self.error_at(
                        "Multiple data resource blocks",
                        "This check block already has a data resource defined. Check blocks can only have one nested data resource.",
                        self.header(&inner),
),
                    "data" => {
                        data_seen = true;
                        if let Some(r) = self.decode_resource(inner, Mode::Data) {
                            if let Some(prev) = self.module.resources.get(&r.addr) {
                                let at = self.location(&prev.span);
                                self.error_at(
                                    format!("Duplicate data \"{}\" configuration", r.addr.ty),
                                    format!("A {} data resource named \"{}\" was already declared at {at}. Resource names must be unique per type in each module.", r.addr.ty, r.addr.name),
                                    r.span.clone(),
                                );
                            } else {
                                check.data.push(r);
                            }
                        }
                    }
                    _ => self.unsupported_block(&inner),
                },
            }
        }
        if check.asserts.is_empty() {
            self.error_at(
                "Zero assert blocks",
                "Check blocks must have at least one assert block.",
                span,
            );
            return;
        }
        self.module.checks.insert(name, check);
    }
}

/// `a.b["k"][0]` from the steps of a static reference.
fn steps_text(steps: &[RefStep]) -> Option<String> {
    let mut out = String::new();
    for (i, s) in steps.iter().enumerate() {
        match s {
            RefStep::Attr(n) if i == 0 => out.push_str(n),
            RefStep::Attr(n) => {
                out.push('.');
                out.push_str(n);
            }
            RefStep::Key(k) => out.push_str(&format!("[{}]", quote(k))),
            RefStep::Index(n) => out.push_str(&format!("[{n}]")),
            RefStep::Dynamic => return None,
        }
    }
    Some(out)
}

/// Root names that are not resource types.
const RESERVED: &[&str] = &[
    "var",
    "local",
    "module",
    "data",
    "each",
    "count",
    "path",
    "self",
    "terraform",
];

/// Whether a parsed address names a reserved root (`var.x` is not a resource).
fn reserved(t: &Target) -> bool {
    match t {
        Target::Resource(r) => RESERVED.contains(&r.ty.as_str()),
        Target::Instance(i) => RESERVED.contains(&i.resource.ty.as_str()),
        Target::Module(_) => false,
    }
}
