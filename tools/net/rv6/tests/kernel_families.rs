//! The kernel modules' generic netlink families against their YNL specs.
//!
//! A module that registers a family (`static FAMILY: OpsFamily<_> =
//! OpsFamily::new(..)`) writes its numbers by hand, as Rust constants, while
//! YNL, the rv6 tool (whose tables `build.rs` generates) and the docs go by
//! the spec, `Documentation/netlink/specs/<module>.yaml`. This test reads
//! both, the spec with the generator's own reader and numbering
//! (`build/model.rs`, nlspec.py's rules), and fails naming the file and line,
//! the constant and the spec entry wherever they differ. Both directions
//! count: a constant without its spec entry, and a spec entry without its
//! constant. What it holds to the spec, as the modules write it today:
//!
//! - the family: the name (`b"rv6-foo\0"`) and version passed to
//!   `OpsFamily::new`;
//! - attributes: `<PREFIX><ATTR>: u16` for every attribute of every set
//!   (`hao-in-mismatch` is `A_HAO_IN_MISMATCH`), the prefix `A_` for a spec
//!   with one set and, with several, the one [`NAMING`] gives per set;
//! - commands: `CMD_<OP>: u8` for every operation, notifications included;
//!   a family served by `genl::StatsOps` has its one command (`stats-get`)
//!   from the kernel crate, `StatsOps::CMD`;
//! - multicast groups: the names of the family's `MulticastGroup`s, in spec
//!   order, and `GROUP_<NAME>: u32`, the index the module multicasts to;
//! - definitions: `<CONST>` for each `type: const`; `<ENUM>_MAX`, where a
//!   module has it, the highest value of the enum; `<PREFIX><ENTRY>: u32`
//!   for the enums whose entries the module names ([`NAMING`]);
//! - the op table and the policies, as `ynl_gen_c.py` would render the
//!   kernel side: a `do`/`dump` entry for each the spec has, with its
//!   permission (`flags`), and a policy holding exactly the request's
//!   attributes, each checked as the spec's type and `checks:` say, sized
//!   to the highest of them; a nest's policy holds its whole set.
//!
//! The sources are read with `syn`. Only items at the top level of a
//! module's main file count (not those of an `impl` or a test module).
//! Constant expressions are evaluated
//! (literals, other constants, `+ - * / << >> & |`, `as`, and `T::C.len()`
//! of an array constant of the kernel crate); one the test cannot evaluate
//! is a failure, not a skip.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::TokenTree;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{
    BinOp, Expr, ExprLit, ExprPath, GenericArgument, Ident, ImplItem, Lit, PathArguments,
    StaticMutability, Stmt, Type, UnOp,
};

#[allow(dead_code)] // the generator reads other fields
#[path = "../build/model.rs"]
mod model;

use model::{Attr, AttrSet, Definition, Limit, Op, Spec};

/// How a module names its family's constants where the default does not
/// say: a module whose spec has one attribute set names it `A_`, and names
/// no enum's entries.
struct Naming {
    module: &'static str,
    /// The constant prefix of each attribute set.
    sets: &'static [(&'static str, &'static str)],
    /// The enums whose entries the module names, `<PREFIX><ENTRY>: u32`.
    /// An enum not listed must have no such constants (but `<ENUM>_MAX`).
    enums: &'static [(&'static str, &'static str)],
}

const NAMING: &[Naming] = &[
    // `entry`, of every operation, is `A_`; the nested `locator` `L_`. The
    // enum `kind` has no entry constants: the module keeps the value as it
    // came, and its policy bounds it by `KIND_MAX`.
    Naming {
        module: "rv6_genl_test",
        sets: &[("A_", "entry"), ("L_", "locator")],
        enums: &[],
    },
    // `context`, of most operations, is `A_`; `stats` `S_`; `settings` `T_`.
    // `event` is named entry by entry (`EVENT_TRIGGER`); `reap-state` is not:
    // the module writes it from its own `Mode` (operational 0, exploring 1)
    // and its policy bounds it, which this test checks.
    Naming {
        module: "rv6_shim6",
        sets: &[("A_", "context"), ("S_", "stats"), ("T_", "settings")],
        enums: &[("EVENT_", "event")],
    },
    // `settings` is `T_`, `stats` `S_`. The enum `scope` has no entry
    // constants: the module reads it as the core's `Scope`, bounded by
    // `SCOPE_MAX`.
    Naming {
        module: "rv6_ninfo",
        sets: &[("T_", "settings"), ("S_", "stats")],
        enums: &[],
    },
    // `rules` is `R_`, `stats` `S_`. The enum `mode` has no entry constants:
    // the module reads it as the core's `Mode`, bounded by `MODE_MAX`.
    Naming {
        module: "rv6_guard",
        sets: &[("R_", "rules"), ("S_", "stats")],
        enums: &[],
    },
    // Listed for its enum: `hook` is the kernel's `enum nf_inet_hooks`, which
    // the module reads as `HookPoint`, bounded in its policy by
    // `HookPoint::ALL.len()`.
    Naming {
        module: "rv6_nf_count",
        sets: &[("A_", "counters")],
        enums: &[],
    },
    // `migrate`, of the requests, is `A_`; the dump's nested `policy` `P_` and
    // its `entry` `E_`; `stats` `S_`. The enums `policy-type` and `mode` have
    // no entry constants: the policy bounds them by `POLICY_TYPE_MAX` and
    // `MODE_MAX`, and the pure core names the modes.
    Naming {
        module: "rv6_xfrm_migrate",
        sets: &[
            ("A_", "migrate"),
            ("P_", "policy"),
            ("E_", "entry"),
            ("S_", "stats"),
        ],
        enums: &[],
    },
];

/// The spec's name for a constant's tail: `HAO_IN_MISMATCH` is
/// `hao-in-mismatch`.
fn upper(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

// ---------------------------------------------------------------------------
// Reading Rust sources.

/// A `const` or `static` item (not a `static mut`).
struct Item {
    name: String,
    /// The type, as written.
    ty: String,
    ty_tree: Type,
    expr: Expr,
    /// The line `expr` starts on.
    line: usize,
    is_static: bool,
}

impl Item {
    fn new(name: &Ident, ty: &Type, expr: &Expr, is_static: bool) -> Item {
        Item {
            name: name.to_string(),
            ty: text(ty),
            ty_tree: ty.clone(),
            expr: expr.clone(),
            line: line_of(expr),
            is_static,
        }
    }

    /// `static _: OpsFamily<..>`
    fn is_family(&self) -> bool {
        self.is_static && self.ty.starts_with("OpsFamily<")
    }
}

/// A Rust source file's items, by name.
struct Source {
    /// The path shown in messages.
    file: String,
    items: BTreeMap<String, Item>,
}

impl Source {
    fn new(file: &str, items: impl IntoIterator<Item = Item>) -> Source {
        let items = items.into_iter().map(|i| (i.name.clone(), i)).collect();
        Source {
            file: file.to_string(),
            items,
        }
    }
}

/// `text` as a Rust file, a parse error as `file:line: error`.
fn parse_file(file: &str, text: &str) -> Result<syn::File, String> {
    syn::parse_file(text).map_err(|e| format!("{file}:{}: {e}", e.span().start().line))
}

/// The top-level `const` and `static` items of `ast`.
fn top_level(file: &str, ast: &syn::File) -> Source {
    let items = ast.items.iter().filter_map(|i| match i {
        syn::Item::Const(c) => Some(Item::new(&c.ident, &c.ty, &c.expr, false)),
        syn::Item::Static(s) if matches!(s.mutability, StaticMutability::None) => {
            Some(Item::new(&s.ident, &s.ty, &s.expr, true))
        }
        _ => None,
    });
    Source::new(file, items)
}

/// The constants of `impl<S: Counters> StatsOps<S>` in `text`.
fn stats_ops(file: &str, text: &str) -> Source {
    let ast = parse_file(file, text).unwrap_or_else(|e| panic!("{e}"));
    let block = ast.items.iter().find_map(|i| match i {
        syn::Item::Impl(b) if b.trait_.is_none() && last_ident(&b.self_ty) == "StatsOps" => Some(b),
        _ => None,
    });
    let block = block.unwrap_or_else(|| panic!("{file}: no `impl<S: Counters> StatsOps<S>`"));
    let items = block.items.iter().filter_map(|i| match i {
        ImplItem::Const(c) => Some(Item::new(&c.ident, &c.ty, &c.expr, false)),
        _ => None,
    });
    Source::new(file, items)
}

/// A syntax tree's text, as written.
fn text(node: &impl Spanned) -> String {
    node.span().source_text().unwrap_or_default()
}

/// The line a syntax tree starts on.
fn line_of(node: &impl Spanned) -> usize {
    node.span().start().line
}

/// The path of `e` without generics (`StatsOps::<S>::OPS` is
/// `StatsOps::OPS`), if it is a path.
fn path_of(e: &Expr) -> Option<String> {
    let Expr::Path(p) = e else {
        return None;
    };
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    Some(segments.join("::"))
}

/// The name of a type: `StatsOps<S>` is `StatsOps`.
fn last_ident(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
    .unwrap_or_else(|| text(ty))
}

/// `e` without its `&`.
fn unref(e: &Expr) -> &Expr {
    match e {
        Expr::Reference(r) => unref(&r.expr),
        _ => e,
    }
}

/// `callee(args)` with its callee's path.
fn call(e: &Expr) -> Option<(String, Vec<&Expr>)> {
    let Expr::Call(c) = e else {
        return None;
    };
    Some((path_of(&c.func)?, c.args.iter().collect()))
}

/// The text of a name literal, `b"..\0"` (without its `\0`) or `c".."`.
fn string_literal(e: &Expr) -> Option<String> {
    let Expr::Lit(l) = e else {
        return None;
    };
    match &l.lit {
        Lit::ByteStr(b) => String::from_utf8(b.value().strip_suffix(b"\0")?.to_vec()).ok(),
        Lit::CStr(c) => c.value().into_string().ok(),
        _ => None,
    }
}

/// The size `N` of a `Policy<N>`.
fn policy_size(ty: &Type) -> Option<Expr> {
    let Type::Path(p) = ty else {
        return None;
    };
    let last = p.path.segments.last().filter(|s| s.ident == "Policy")?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [GenericArgument::Const(n)] => Some(n.clone()),
        // `Policy<N_ATTRS>` reads as a type.
        [GenericArgument::Type(Type::Path(n))] => Some(Expr::Path(ExprPath {
            attrs: Vec::new(),
            qself: n.qself.clone(),
            path: n.path.clone(),
        })),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Evaluating constant expressions.

/// Evaluates constant expressions of one source: its constants, names
/// `scope` gives (`Self::CMD`), and lengths of the kernel crate's arrays.
struct Eval<'a> {
    src: &'a Source,
    scope: &'a BTreeMap<String, i128>,
    kernel: &'a Kernel,
}

impl Eval<'_> {
    fn eval(&self, e: &Expr) -> Result<i128, String> {
        self.eval_depth(e, 0)
    }

    fn eval_depth(&self, e: &Expr, depth: usize) -> Result<i128, String> {
        if depth > 32 {
            return Err(format!("`{}` refers to itself", text(e)));
        }
        let eval = |e: &Expr| self.eval_depth(e, depth);
        match e {
            Expr::Lit(ExprLit {
                lit: Lit::Int(n), ..
            }) => n
                .base10_parse()
                .map_err(|_| format!("`{}` is no integer", text(e))),
            Expr::Paren(p) => eval(&p.expr),
            Expr::Group(g) => eval(&g.expr),
            // `{ N }`, as a const generic argument.
            Expr::Block(b) => match &b.block.stmts[..] {
                [Stmt::Expr(e, None)] => eval(e),
                _ => Err(format!("cannot evaluate `{}`", text(e))),
            },
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => Ok(-eval(&u.expr)?),
            Expr::Binary(b) => {
                let (lhs, rhs) = (eval(&b.left)?, eval(&b.right)?);
                let shift = |r: i128| u32::try_from(r).map_err(|_| format!("shift by {r}"));
                match b.op {
                    BinOp::Mul(_) => lhs.checked_mul(rhs),
                    BinOp::Div(_) => lhs.checked_div(rhs),
                    BinOp::Add(_) => lhs.checked_add(rhs),
                    BinOp::Sub(_) => lhs.checked_sub(rhs),
                    BinOp::Shl(_) => lhs.checked_shl(shift(rhs)?),
                    BinOp::Shr(_) => lhs.checked_shr(shift(rhs)?),
                    BinOp::BitAnd(_) => Some(lhs & rhs),
                    BinOp::BitOr(_) => Some(lhs | rhs),
                    _ => return Err(format!("cannot evaluate `{}`", text(e))),
                }
                .ok_or_else(|| format!("{lhs} {} {rhs} overflows", text(&b.op)))
            }
            Expr::Cast(c) => {
                let v = eval(&c.expr)?;
                let ty = text(&c.ty);
                let (lo, hi) =
                    int_range(&ty).ok_or_else(|| format!("`as {ty}`: not an integer"))?;
                if v < lo || v > hi {
                    return Err(format!("{v} as {ty} does not fit"));
                }
                Ok(v)
            }
            Expr::Path(_) => {
                let name = path_of(e).unwrap_or_default();
                if let Some(v) = self.scope.get(&name) {
                    return Ok(*v);
                }
                match self.src.items.get(&name) {
                    Some(item) if !item.is_static => self.eval_depth(&item.expr, depth + 1),
                    _ => Err(format!("`{name}` is no constant of {}", self.src.file)),
                }
            }
            // `T::C.len()`
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => {
                let name = path_of(&m.receiver).unwrap_or_else(|| text(&m.receiver));
                self.kernel
                    .arrays
                    .get(&name)
                    .copied()
                    .ok_or_else(|| format!("no array constant `{name}` in the kernel crate"))
            }
            _ => Err(format!("cannot evaluate `{}`", text(e))),
        }
    }
}

/// The values of an integer type.
fn int_range(ty: &str) -> Option<(i128, i128)> {
    let bits = match ty {
        "usize" | "isize" => 64,
        _ => ty[1..].parse::<u32>().ok().filter(|b| *b <= 64)?,
    };
    match ty.as_bytes()[0] {
        b'u' => Some((0, (1i128 << bits) - 1)),
        b'i' => Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// What the kernel crate contributes.

/// The kernel crate's side: `genl::StatsOps` (the op table of the families
/// that only serve counters) and array lengths.
struct Kernel {
    /// The items of `impl<S: Counters> StatsOps<S>`, in genl.rs.
    stats_ops: Source,
    /// `const C: [T; N]` of the crate, as `T::C` → N.
    arrays: BTreeMap<String, i128>,
}

impl Kernel {
    fn read(top: &Path) -> Kernel {
        let genl = "rust/kernel/net/netlink/genl.rs";
        let stats_ops = stats_ops(genl, &read(&top.join(genl)));
        let mut arrays = Arrays::default();
        let mut files = Vec::new();
        rust_files(&top.join("rust/kernel"), &mut files);
        for f in files {
            // A file syn cannot read gives no lengths: a `.len()` of its
            // arrays fails where it is evaluated.
            if let Ok(ast) = syn::parse_file(&read(&f)) {
                arrays.visit_file(&ast);
            }
        }
        Kernel {
            stats_ops,
            arrays: arrays.found,
        }
    }
}

/// Collects `const C: [T; N]`s (`Self` standing for the impl's type).
#[derive(Default)]
struct Arrays {
    self_ty: Option<String>,
    found: BTreeMap<String, i128>,
}

impl Arrays {
    fn array(&mut self, name: &Ident, ty: &Type) {
        let Type::Array(a) = ty else {
            return;
        };
        let Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) = &a.len
        else {
            return;
        };
        let elem = match text(&a.elem) {
            e if e == "Self" => self.self_ty.clone(),
            e => Some(e),
        };
        if let (Some(elem), Ok(n)) = (elem, n.base10_parse()) {
            self.found.insert(format!("{elem}::{name}"), n);
        }
    }
}

impl<'ast> Visit<'ast> for Arrays {
    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let outer = self.self_ty.replace(last_ident(&i.self_ty));
        visit::visit_item_impl(self, i);
        self.self_ty = outer;
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        self.array(&c.ident, &c.ty);
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        self.array(&c.ident, &c.ty);
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, but in `.git`, `target` and symlinks.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if kind.is_dir() && name != ".git" && name != "target" {
            rust_files(&path, out);
        } else if kind.is_file() && path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

// ---------------------------------------------------------------------------
// Policies, as the kernel validates an attribute.

/// One attribute's policy, normalised: what an `AttrPolicy` constructor
/// gives, and what `ynl_gen_c.py` renders for the spec's attribute.
#[derive(Debug, PartialEq)]
enum Nla {
    /// An unsigned integer type (`u32`), with its bounds (a lower bound of 0
    /// is none).
    Int {
        ty: String,
        min: Option<i128>,
        max: Option<i128>,
    },
    Flag,
    /// `NLA_NUL_STRING` with its longest length (none: any).
    NulString(Option<i128>),
    /// `NLA_BINARY` with its length check: exact, at least, at most.
    Binary(Option<(&'static str, i128)>),
    /// A nest, validated by the named policy (the `AttrPolicy` side; the
    /// spec's side names nothing: the nested policy is checked on its own).
    Nested(Option<String>),
}

impl fmt::Display for Nla {
    /// As the `AttrPolicy` constructor that gives it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Nla::Int {
                ty,
                min: None,
                max: None,
            } => write!(f, "AttrPolicy::{ty}()"),
            Nla::Int {
                ty,
                min,
                max: Some(max),
            } => write!(f, "AttrPolicy::{ty}_range({}, {max})", min.unwrap_or(0)),
            Nla::Int {
                ty,
                min: Some(min),
                max: None,
            } => write!(f, "AttrPolicy::{ty}_min({min})"),
            Nla::Flag => write!(f, "AttrPolicy::flag()"),
            Nla::NulString(n) => write!(f, "AttrPolicy::nul_string({})", n.unwrap_or(0)),
            Nla::Binary(Some(("exact", 16))) => write!(f, "AttrPolicy::in6_addr()"),
            Nla::Binary(Some((check, n))) => write!(f, "AttrPolicy::{check}_len({n})"),
            Nla::Binary(None) => write!(f, "an NLA_BINARY of any length (no AttrPolicy has it)"),
            Nla::Nested(Some(p)) => write!(f, "AttrPolicy::nested(&{p})"),
            Nla::Nested(None) => write!(f, "AttrPolicy::nested(..)"),
        }
    }
}

/// The `Nla` of `AttrPolicy::..(..)` as a module writes it.
fn rust_nla(e: &Expr, ev: &Eval<'_>) -> Result<Nla, String> {
    let t = text(e);
    let (callee, args) = call(e).ok_or_else(|| format!("`{t}` is no call"))?;
    let f = callee
        .strip_prefix("AttrPolicy::")
        .ok_or_else(|| format!("`{t}` is no AttrPolicy"))?;
    let int = |i: usize| -> Result<i128, String> {
        ev.eval(
            args.get(i)
                .ok_or_else(|| format!("`{t}`: too few arguments"))?,
        )
    };
    let nz = |v: i128| (v != 0).then_some(v);
    Ok(match f {
        "u8" | "u16" | "u32" | "u64" => Nla::Int {
            ty: f.into(),
            min: None,
            max: None,
        },
        "u8_range" | "u16_range" | "u32_range" => Nla::Int {
            ty: f[..f.len() - "_range".len()].into(),
            min: nz(int(0)?),
            max: Some(int(1)?),
        },
        "u32_min" => Nla::Int {
            ty: "u32".into(),
            min: nz(int(0)?),
            max: None,
        },
        "flag" => Nla::Flag,
        "nul_string" => Nla::NulString(nz(int(0)?)),
        "in6_addr" => Nla::Binary(Some(("exact", 16))),
        "exact_len" => Nla::Binary(Some(("exact", int(0)?))),
        "min_len" => Nla::Binary(Some(("min", int(0)?))),
        "max_len" => Nla::Binary(Some(("max", int(0)?))),
        "nested" => {
            let a = args.first().ok_or("nested() without a policy")?;
            Nla::Nested(Some(text(unref(a))))
        }
        _ => return Err(format!("`{t}` is no AttrPolicy this test knows")),
    })
}

/// A `checks:` limit's value.
fn limit(spec: &Spec, l: &Limit) -> Result<i128, String> {
    match l {
        Limit::Int(v) => Ok(i128::from(*v)),
        Limit::Name(n) => {
            if let Some(d) = spec
                .definitions
                .iter()
                .find(|d| d.name == *n && d.ty == "const")
            {
                return d
                    .value
                    .map(i128::from)
                    .ok_or(format!("const {n} has no value"));
            }
            let (ty, end) = n.split_once('-').ok_or(format!("no limit {n}"))?;
            let (lo, hi) = int_range(ty).ok_or(format!("no limit {n}"))?;
            match end {
                "min" => Ok(lo),
                "max" => Ok(hi),
                _ => Err(format!("no limit {n}")),
            }
        }
    }
}

/// The `Nla` `ynl_gen_c.py` renders for attribute `a` of `spec`.
fn spec_nla(spec: &Spec, a: &Attr) -> Result<Nla, String> {
    let c = &a.checks;
    let get = |l: &Option<Limit>| l.as_ref().map(|l| limit(spec, l)).transpose();
    Ok(match a.ty.as_str() {
        "u8" | "u16" | "u32" | "u64" => {
            let (mut min, mut max) = (get(&c.min)?, get(&c.max)?);
            if let Some(e) = &a.enumeration {
                let d = spec
                    .definitions
                    .iter()
                    .find(|d| d.name == *e && d.ty == "enum")
                    .ok_or(format!("enum {e} is no enum of the definitions"))?;
                let values = d.entry_values();
                let (lo, hi) = (values.first().map(|v| v.1), values.last().map(|v| v.1));
                // ynl_gen_c.py: an enum bounds what checks leave open, its
                // lowest value only if not 0.
                if min.is_none() && lo != Some(0) {
                    min = lo.map(i128::from);
                }
                if max.is_none() {
                    max = hi.map(i128::from);
                }
            }
            // Bounds beyond s16 need NLA_POLICY_FULL_RANGE, which the Rust
            // policies cannot carry: the module checks them itself (and the
            // spec should say so), its policy takes the plain type.
            let s16 = |v: Option<i128>| v.is_none_or(|v| (-32768..=32767).contains(&v));
            if !s16(min) || !s16(max) {
                (min, max) = (None, None);
            }
            Nla::Int {
                ty: a.ty.clone(),
                min: min.filter(|m| *m != 0),
                max,
            }
        }
        "flag" => Nla::Flag,
        "string" if c.exact_len.is_some() => {
            Nla::Binary(Some(("exact", get(&c.exact_len)?.unwrap_or(0))))
        }
        "string" if c.unterminated_ok => return Err("NLA_STRING has no AttrPolicy".into()),
        "string" => Nla::NulString(get(&c.max_len)?),
        "binary" => Nla::Binary(
            match (get(&c.exact_len)?, get(&c.min_len)?, get(&c.max_len)?) {
                (Some(n), _, _) => Some(("exact", n)),
                (None, Some(n), _) => Some(("min", n)),
                (None, None, Some(n)) => Some(("max", n)),
                _ => None,
            },
        ),
        "nest" => Nla::Nested(None),
        t => return Err(format!("a {t} cannot be in a policy")),
    })
}

// ---------------------------------------------------------------------------
// The check of one module.

/// What a module names the spec's items, resolved against its spec.
struct Names<'s> {
    /// (prefix, set), longest prefix first.
    sets: Vec<(String, &'s AttrSet)>,
    enums: Vec<(String, &'s Definition)>,
}

/// Collects the failures of one module against its spec.
struct Check<'a> {
    src: &'a Source,
    spec: &'a Spec,
    /// The spec's path, for messages.
    spec_file: &'a str,
    kernel: &'a Kernel,
    failures: Vec<String>,
    /// Policies checked already, with the set and attributes they were
    /// checked for.
    policies: BTreeSet<(String, String, Vec<String>)>,
}

impl<'a> Check<'a> {
    fn fail(&mut self, line: usize, msg: String) {
        self.failures
            .push(format!("{}:{line}: {msg}", self.src.file));
    }

    fn fail_in_spec(&mut self, msg: String) {
        self.failures.push(format!("{}: {msg}", self.spec_file));
    }

    fn eval(&self, expr: &Expr) -> Result<i128, String> {
        Eval {
            src: self.src,
            scope: &BTreeMap::new(),
            kernel: self.kernel,
        }
        .eval(expr)
    }

    /// The module's constants named `PREFIX<NAME>` (`CMD_`, `GROUP_`), each
    /// with the spec's name for it and its value, which must be of type `ty`;
    /// one whose value cannot be had is failed by [`Check::value`] and left
    /// out.
    fn prefixed(&mut self, prefix: &str, ty: &str) -> Vec<(&'a Item, String, i128)> {
        let src = self.src;
        src.items
            .values()
            .filter(|i| !i.is_static && i.name.starts_with(prefix))
            .filter_map(|item| {
                let name = item.name[prefix.len()..].to_lowercase().replace('_', "-");
                Some((item, name, self.value(item, Some(ty))?))
            })
            .collect()
    }

    /// The value of constant `item`, which must be of type `ty` (any
    /// integer type with `None`).
    fn value(&mut self, item: &Item, ty: Option<&str>) -> Option<i128> {
        if let Some(ty) = ty.filter(|t| item.ty != *t) {
            self.fail(
                item.line,
                format!("{} is a {}, not a {ty}", item.name, item.ty),
            );
        }
        match self.eval(&item.expr) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(item.line, format!("{}: {e}", item.name));
                None
            }
        }
    }

    fn names<'s>(&mut self, naming: &Naming, spec: &'s Spec) -> Names<'s> {
        let module = naming.module;
        let naming = Some(naming).filter(|n| !n.module.is_empty());
        let mut sets: Vec<(String, &AttrSet)> = Vec::new();
        match (naming, spec.attribute_sets.as_slice()) {
            (Some(n), _) => {
                for (prefix, set) in n.sets {
                    match spec.attribute_sets.iter().find(|s| s.name == *set) {
                        Some(s) => sets.push((prefix.to_string(), s)),
                        None => self.fail_in_spec(format!(
                            "no attribute set {set}, which NAMING gives {module} the prefix {prefix}"
                        )),
                    }
                }
            }
            (None, [set]) => sets.push(("A_".into(), set)),
            (None, _) => self.fail_in_spec(format!(
                "several attribute sets: give their prefixes in {module} in NAMING \
                 (tools/net/rv6/tests/kernel_families.rs)"
            )),
        }
        for set in &spec.attribute_sets {
            if !sets.iter().any(|(_, s)| s.name == set.name) {
                self.fail_in_spec(format!(
                    "attribute set {}: {} has no constants for it (no prefix in NAMING)",
                    set.name, self.src.file
                ));
            }
        }
        sets.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        let mut enums = Vec::new();
        for (prefix, e) in naming.map_or(&[][..], |n| n.enums) {
            match spec
                .definitions
                .iter()
                .find(|d| d.name == *e && d.ty == "enum")
            {
                Some(d) => enums.push((prefix.to_string(), d)),
                None => self.fail_in_spec(format!(
                    "no enum {e}, whose entries NAMING says {module} names {prefix}*"
                )),
            }
        }
        Names { sets, enums }
    }

    /// Holds the module `module` to the spec.
    fn run(&mut self, naming: &Naming) {
        let spec = self.spec;
        let names = self.names(naming, spec);
        let Some(family) = self.family() else {
            return;
        };
        self.constants(&names);
        self.groups(&family.groups);
        self.ops(&names, &family);
    }

    /// The family's name and version, and where its ops and groups are.
    fn family(&mut self) -> Option<Family> {
        let statics: Vec<&Item> = self.src.items.values().filter(|i| i.is_family()).collect();
        let [item] = statics[..] else {
            self.fail(1, format!("{} OpsFamily statics, not one", statics.len()));
            return None;
        };
        let new = call(&item.expr).filter(|(c, a)| c == "OpsFamily::new" && a.len() == 5);
        let Some((_, args)) = new else {
            self.fail(
                item.line,
                format!(
                    "{} is no OpsFamily::new(_, name, version, ops, groups)",
                    item.name
                ),
            );
            return None;
        };
        let (name, at) = (args[1], line_of(args[1]));
        match string_literal(name) {
            Some(n) if n == self.spec.name => {}
            Some(n) => self.fail(
                at,
                format!(
                    "{}: the family name is \"{n}\", but {} has name: {}",
                    item.name, self.spec_file, self.spec.name
                ),
            ),
            None => self.fail(
                at,
                format!(
                    "{}: the name {} is no b\"..\\0\" literal",
                    item.name,
                    text(name)
                ),
            ),
        }
        let at = line_of(args[2]);
        match self.eval(args[2]) {
            Ok(v) if v == i128::from(self.spec.version()) => {}
            Ok(v) => self.fail(
                at,
                format!(
                    "{}: version {v}, but {} has version {}",
                    item.name,
                    self.spec_file,
                    self.spec.version()
                ),
            ),
            Err(e) => self.fail(at, format!("{}: version: {e}", item.name)),
        }
        let ops = text(unref(args[3]));
        let groups = text(unref(args[4]));
        Some(Family { ops, groups })
    }

    /// Every constant of an attribute set, an enum or a `const` definition,
    /// both ways.
    fn constants(&mut self, names: &Names<'_>) {
        let spec = self.spec;
        let src = self.src;
        // Expected: constant name -> (what it is in the spec, value, type).
        let mut expected: BTreeMap<String, (String, u64, Option<&str>)> = BTreeMap::new();
        for (prefix, set) in &names.sets {
            for (a, v) in set.numbered() {
                expected.insert(
                    format!("{prefix}{}", upper(&a.name)),
                    (
                        format!("attribute set {}, attribute {}", set.name, a.name),
                        v,
                        Some("u16"),
                    ),
                );
            }
        }
        for (prefix, d) in &names.enums {
            for (entry, v) in d.entry_values() {
                expected.insert(
                    format!("{prefix}{}", upper(entry)),
                    (format!("enum {}, entry {entry}", d.name), v, Some("u32")),
                );
            }
        }
        for d in &spec.definitions {
            if let (Some(v), "const") = (d.value, d.ty.as_str()) {
                expected.insert(upper(&d.name), (format!("const {}", d.name), v, None));
            }
        }
        // `<ENUM>_MAX` is optional.
        let mut maxes = BTreeMap::new();
        for d in spec.definitions.iter().filter(|d| d.ty == "enum") {
            if let Some((_, v)) = d.entry_values().last() {
                maxes.insert(format!("{}_MAX", upper(&d.name)), (d.name.clone(), *v));
            }
        }
        let mut seen = BTreeSet::new();
        for item in src.items.values().filter(|i| !i.is_static) {
            let n = &item.name;
            if let Some((e, max)) = maxes.get(n) {
                if let Some(v) = self.value(item, None).filter(|v| *v != i128::from(*max)) {
                    self.fail(
                        item.line,
                        format!(
                            "{n} = {v}, but the highest entry of enum {e} in {} is {max}",
                            self.spec_file
                        ),
                    );
                }
                continue;
            }
            // A constant of a set prefix or an enum's (a u32 only: enum
            // prefixes are words, `EVENT_SIZE` is no event), or a const.
            let set = names.sets.iter().find(|(p, _)| n.starts_with(p.as_str()));
            let en = names
                .enums
                .iter()
                .find(|(p, _)| n.starts_with(p.as_str()) && item.ty == "u32");
            let claimed = expected.contains_key(n) || set.is_some() || en.is_some();
            if !claimed {
                // Entries of an enum NAMING does not list would go unchecked.
                if let Some(d) = spec.definitions.iter().find(|d| {
                    d.ty == "enum"
                        && item.ty == "u32"
                        && n.starts_with(&format!("{}_", upper(&d.name)))
                }) {
                    self.fail(item.line, format!(
                        "{n} looks like an entry of enum {} of {}: list the enum in NAMING (tools/net/rv6/tests/kernel_families.rs) to have its entries checked",
                        d.name, self.spec_file
                    ));
                }
                continue;
            }
            seen.insert(n.clone());
            let Some((what, want, ty)) = expected.get(n).cloned() else {
                let (where_, prefix) = match (set, en) {
                    (Some((p, s)), _) => (format!("attribute set {}", s.name), p),
                    (None, Some((p, d))) => (format!("enum {}", d.name), p),
                    _ => unreachable!(),
                };
                let v = self.value(item, None).map_or("?".into(), |v| v.to_string());
                let spec_name = n[prefix.len()..].to_lowercase().replace('_', "-");
                self.fail(
                    item.line,
                    format!(
                        "{n} = {v} has no counterpart: {} has no {spec_name} in {where_}",
                        self.spec_file
                    ),
                );
                continue;
            };
            if let Some(v) = self.value(item, ty).filter(|v| *v != i128::from(want)) {
                self.fail(
                    item.line,
                    format!("{n} = {v}, but {}: {what} is {want}", self.spec_file),
                );
            }
        }
        for (n, (what, want, _)) in &expected {
            if !seen.contains(n) {
                self.fail_in_spec(format!(
                    "{what} (= {want}) has no constant {n} in {}",
                    src.file
                ));
            }
        }
    }

    /// The family's multicast groups, in spec order, and `GROUP_<NAME>`.
    fn groups(&mut self, groups: &str) {
        let spec_groups: Vec<&str> = self
            .spec
            .mcast_groups
            .list
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        let mut names = Vec::new();
        let mut line = 1;
        if groups != "[]" {
            let Some(item) = self.src.items.get(groups).filter(|i| i.is_static) else {
                self.fail(
                    1,
                    format!("the family's groups, {groups}, are no static of the module"),
                );
                return;
            };
            line = item.line;
            let Expr::Array(elems) = &item.expr else {
                self.fail(item.line, format!("{groups} is no array"));
                return;
            };
            for e in &elems.elems {
                let name = call(e)
                    .filter(|(c, _)| {
                        matches!(
                            c.as_str(),
                            "MulticastGroup::const_new" | "admin_multicast_group"
                        )
                    })
                    .and_then(|(_, a)| a.first().and_then(|s| string_literal(s)));
                match name {
                    Some(n) => names.push(n),
                    None => self.fail(
                        line_of(e),
                        format!("{groups}: `{}` is no group this test can read", text(e)),
                    ),
                }
            }
        }
        if names != spec_groups {
            self.fail(line, format!(
                "the family's multicast groups are {names:?}, but {} has mcast-groups {spec_groups:?}",
                self.spec_file
            ));
        }
        let mut named = BTreeSet::new();
        for (item, group, v) in self.prefixed("GROUP_", "u32") {
            match names.iter().position(|n| *n == group) {
                _ if !spec_groups.contains(&group.as_str()) => self.fail(
                    item.line,
                    format!(
                        "{} = {v} has no counterpart: {} has no multicast group {group}",
                        item.name, self.spec_file
                    ),
                ),
                Some(i) if i as i128 == v => {}
                Some(i) => self.fail(
                    item.line,
                    format!(
                        "{} = {v}, but the group {group} is index {i} of the family's groups",
                        item.name
                    ),
                ),
                None => self.fail(
                    item.line,
                    format!("{} = {v}, but the family's groups lack {group}", item.name),
                ),
            }
            named.insert(group);
        }
        for g in spec_groups {
            if !named.contains(g) {
                self.fail_in_spec(format!(
                    "multicast group {g} has no constant GROUP_{} in {}",
                    upper(g),
                    self.src.file
                ));
            }
        }
    }

    /// Command constants and the op table with its policies.
    fn ops(&mut self, names: &Names<'_>, family: &Family) {
        let spec = self.spec;
        let numbered = spec.operations.numbered();
        let src = self.src;
        let kernel = self.kernel;
        // The op table, the source it is in and the names its commands go
        // by there: the module's `CMD_<OP>`, or StatsOps's `Self::CMD`.
        let stats = family.ops.starts_with("StatsOps::");
        let (table_src, table, mut scope) = if stats {
            let cmd = kernel.stats_ops.items.get("CMD");
            let value = cmd.and_then(|c| {
                Eval {
                    src: &kernel.stats_ops,
                    scope: &BTreeMap::new(),
                    kernel,
                }
                .eval(&c.expr)
                .ok()
            });
            let (Some(cmd), Some(value)) = (cmd, value) else {
                self.failures.push(format!(
                    "{}: no StatsOps::CMD this test can read",
                    kernel.stats_ops.file
                ));
                return;
            };
            // StatsOps serves `stats-get` alone.
            match numbered.iter().find(|(op, _)| op.name == "stats-get") {
                Some((_, want)) if i128::from(*want) == value => {}
                Some((_, want)) => self.failures.push(format!(
                    "{}:{}: StatsOps::CMD = {value} serves stats-get, but {}: operation stats-get is {want}",
                    kernel.stats_ops.file, cmd.line, self.spec_file
                )),
                None => self.fail_in_spec(format!(
                    "no operation stats-get, which {} serves with genl::StatsOps", src.file
                )),
            }
            let scope = BTreeMap::from([("Self::CMD".to_string(), value)]);
            (&kernel.stats_ops, kernel.stats_ops.items.get("OPS"), scope)
        } else {
            (src, src.items.get(&family.ops), BTreeMap::new())
        };
        // The module's commands.
        let mut named = BTreeSet::new();
        for (item, op_name, v) in self.prefixed("CMD_", "u8") {
            match numbered.iter().find(|(op, _)| op.name == op_name) {
                Some((_, want)) if i128::from(*want) == v => {}
                Some((_, want)) => self.fail(
                    item.line,
                    format!(
                        "{} = {v}, but {}: operation {op_name} is {want}",
                        item.name, self.spec_file
                    ),
                ),
                None => self.fail(
                    item.line,
                    format!(
                        "{} = {v} has no counterpart: {} has no operation {op_name}",
                        item.name, self.spec_file
                    ),
                ),
            }
            named.insert(op_name.clone());
            scope.entry(item.name.clone()).or_insert(v);
        }
        // StatsOps's `Self::CMD` names stats-get.
        if stats {
            named.insert("stats-get".to_string());
        }
        for (op, v) in &numbered {
            if !named.contains(&op.name) {
                self.fail_in_spec(format!(
                    "operation {} (= {v}) has no constant CMD_{} in {}",
                    op.name,
                    upper(&op.name),
                    src.file
                ));
            }
        }
        let Some(table) = table else {
            self.fail(
                1,
                format!(
                    "the family's ops, {}, are no static this test can find",
                    family.ops
                ),
            );
            return;
        };
        let ev = Eval {
            src: table_src,
            scope: &scope,
            kernel,
        };
        let Expr::Array(elems) = &table.expr else {
            self.fail(table.line, format!("{} is no array", table.name));
            return;
        };
        let mut served = BTreeSet::new();
        for e in &elems.elems {
            let line = line_of(e);
            let at_line = |c: &mut Self, msg: String| {
                c.failures
                    .push(format!("{}:{line}: {}: {msg}", table_src.file, table.name));
            };
            let Some((callee, args)) = call(e) else {
                at_line(self, format!("`{}` is no SplitOp", text(e)));
                continue;
            };
            let (mode, policy) = match callee.as_str() {
                "SplitOp::doit" => ("do", true),
                "SplitOp::doit_without_attributes" => ("do", false),
                "SplitOp::dumpit" => ("dump", true),
                "SplitOp::dumpit_without_attributes" => ("dump", false),
                _ => {
                    at_line(self, format!("`{callee}` is no SplitOp this test knows"));
                    continue;
                }
            };
            if args.len() != 2 + usize::from(policy) {
                at_line(self, format!("`{}`: wrong number of arguments", text(e)));
                continue;
            }
            let (cmd_name, perm_name) = (text(args[0]), text(args[1]));
            let cmd = match ev.eval(args[0]) {
                Ok(v) => v,
                Err(err) => {
                    at_line(self, err);
                    continue;
                }
            };
            let Some(&(op, _)) = numbered.iter().find(|(_, v)| i128::from(*v) == cmd) else {
                at_line(
                    self,
                    format!(
                        "{cmd_name}'s {mode} (command {cmd}): {} has no operation {cmd}",
                        self.spec_file
                    ),
                );
                continue;
            };
            let Some(m) = (if mode == "do" { &op.doit } else { &op.dump }) else {
                at_line(
                    self,
                    format!(
                        "a {mode} of {cmd_name}, but {}: operation {} has no {mode}",
                        self.spec_file, op.name
                    ),
                );
                continue;
            };
            if !served.insert((op.name.clone(), mode)) {
                at_line(self, format!("a second {mode} of operation {}", op.name));
            }
            let perm = perm(op);
            if perm_name != perm {
                at_line(
                    self,
                    format!(
                        "{cmd_name}'s {mode} has {perm_name}, but {}: operation {} has flags {:?}, which is {perm}",
                        self.spec_file, op.name, op.flags
                    ),
                );
            }
            let request: Vec<String> = m
                .request
                .as_ref()
                .map_or(Vec::new(), |r| r.attributes.clone());
            match (policy, request.is_empty()) {
                (false, true) => {}
                (false, false) => at_line(self, format!(
                    "{cmd_name}'s {mode} takes no attributes, but {}: operation {}'s {mode} request has {request:?}",
                    self.spec_file, op.name
                )),
                (true, _) => {
                    let name = text(unref(args[2]));
                    let set = op.attribute_set.as_deref().unwrap_or_default();
                    let what = format!("operation {}'s {mode} request", op.name);
                    self.policy(names, &name, set, &request, &what);
                }
            }
        }
        for (op, _) in &numbered {
            for (mode, m) in [("do", &op.doit), ("dump", &op.dump)] {
                if m.is_some() && !served.contains(&(op.name.clone(), mode)) {
                    self.failures.push(format!(
                        "{}:{}: {}: no {mode} of operation {}, which {} has",
                        table_src.file, table.line, table.name, op.name, self.spec_file
                    ));
                }
            }
        }
    }

    /// Policy `name` of the module for the attributes `attrs` of set `set`.
    fn policy(&mut self, names: &Names<'_>, name: &str, set: &str, attrs: &[String], what: &str) {
        if !self
            .policies
            .insert((name.to_string(), set.to_string(), attrs.to_vec()))
        {
            return;
        }
        let src = self.src;
        let spec = self.spec;
        let Some(item) = src.items.get(name).filter(|i| i.is_static) else {
            self.fail(1, format!("no static policy {name}"));
            return;
        };
        let Some((prefix, aset)) = names.sets.iter().find(|(_, s)| s.name == set) else {
            return; // reported by names()
        };
        let ev = Eval {
            src,
            scope: &BTreeMap::new(),
            kernel: self.kernel,
        };
        // `Policy::new()` then `.with(ATTR, AttrPolicy::..)`s.
        let mut chain = Vec::new();
        let mut base = &item.expr;
        while let Expr::MethodCall(m) = base {
            chain.push(m);
            base = &m.receiver;
        }
        if !call(base).is_some_and(|(c, a)| c == "Policy::new" && a.is_empty()) {
            self.fail(item.line, format!("{name} is no Policy::new().with(..).."));
            return;
        }
        let mut entries = Vec::new();
        for m in chain.into_iter().rev() {
            let line = line_of(&m.dot_token);
            if m.method != "with" {
                // `.method(..)`, to the end of its first line.
                let span = m.dot_token.spans[0].join(m.paren_token.span.close());
                let t = span.and_then(|s| s.source_text()).unwrap_or_default();
                let t = t.lines().next().unwrap_or("");
                self.fail(line, format!("{name}: `{t}` is no .with(..)"));
                return;
            }
            let [constant, call] = m.args.iter().collect::<Vec<_>>()[..] else {
                self.fail(line, format!("{name}: .with() takes two arguments"));
                return;
            };
            entries.push((line, text(constant), call));
        }
        let numbered = aset.numbered();
        let mut highest = 0;
        let mut have = BTreeSet::new();
        for (line, constant, call) in entries {
            let Some(tail) = constant.strip_prefix(prefix.as_str()) else {
                self.fail(line, format!("{name}: {constant} is no attribute of set {set} ({prefix}*), which {what} uses"));
                continue;
            };
            let Some(&(a, v)) = numbered.iter().find(|(a, _)| upper(&a.name) == tail) else {
                continue; // reported with the constants
            };
            highest = highest.max(v);
            have.insert(a.name.clone());
            if !attrs.contains(&a.name) {
                self.fail(
                    line,
                    format!(
                        "{name}: {constant}, but {}: {what} has no {}",
                        self.spec_file, a.name
                    ),
                );
                continue;
            }
            let want = match spec_nla(spec, a) {
                Ok(n) => n,
                Err(e) => {
                    self.fail_in_spec(format!("attribute set {set}, attribute {}: {e}", a.name));
                    continue;
                }
            };
            let got = match rust_nla(call, &ev) {
                Ok(n) => n,
                Err(e) => {
                    self.fail(line, format!("{name}: {constant}: {e}"));
                    continue;
                }
            };
            match (&got, &want) {
                (Nla::Nested(Some(p)), Nla::Nested(None)) => {
                    let nested = a.nested_attributes.clone().unwrap_or_default();
                    let all: Vec<String> = spec
                        .attribute_sets
                        .iter()
                        .find(|s| s.name == nested)
                        .map(|s| {
                            // A nest's policy holds its set, but pads.
                            s.attributes
                                .iter()
                                .filter(|a| !matches!(a.ty.as_str(), "pad" | "unused"))
                                .map(|a| a.name.clone())
                                .collect()
                        })
                        .unwrap_or_default();
                    let what = format!("the nest {} (attribute set {nested})", a.name);
                    self.policy(names, p, &nested, &all, &what);
                }
                _ if got == want => {}
                _ => self.fail(line, format!(
                    "{name}: {constant} is {got}, but {}: attribute set {set}, attribute {} ({}{}) is {want}",
                    self.spec_file,
                    a.name,
                    a.ty,
                    describe_checks(a),
                )),
            }
        }
        for a in attrs {
            if !have.contains(a) {
                self.fail(
                    item.line,
                    format!(
                        "{name} lacks {prefix}{}: {}: {what} has {a}",
                        upper(a),
                        self.spec_file
                    ),
                );
            }
        }
        // Sized to the highest attribute it holds, as ynl_gen_c.py sizes it.
        match policy_size(&item.ty_tree).map(|n| ev.eval(&n)) {
            Some(Ok(n)) if n == i128::from(highest) + 1 => {}
            Some(Ok(n)) => self.fail(item.line, format!(
                "{name} is a Policy<{n}> (maxattr {}), but the highest attribute it holds is {highest}",
                n - 1
            )),
            Some(Err(e)) => self.fail(item.line, format!("{name}: its size: {e}")),
            None => self.fail(item.line, format!("{name} is a {}, not a Policy<N>", item.ty)),
        }
    }
}

/// Where a family's op table and groups are (`OPS`, `StatsOps::<T>::OPS`;
/// `GROUPS`, `[]`).
struct Family {
    ops: String,
    groups: String,
}

/// The `perm::` an operation's `flags` ask for.
fn perm(op: &Op) -> &'static str {
    if op.flags.iter().any(|f| f == "admin-perm") {
        "perm::ADMIN"
    } else if op.flags.iter().any(|f| f == "uns-admin-perm") {
        "perm::NETNS_ADMIN"
    } else {
        "perm::NONE"
    }
}

/// `, enum e, checks min 1 max 4`, for messages.
fn describe_checks(a: &Attr) -> String {
    let mut s = String::new();
    if let Some(e) = &a.enumeration {
        s += &format!(", enum {e}");
    }
    let c = &a.checks;
    for (name, l) in [
        ("min", &c.min),
        ("max", &c.max),
        ("min-len", &c.min_len),
        ("max-len", &c.max_len),
        ("exact-len", &c.exact_len),
    ] {
        match l {
            Some(Limit::Int(v)) => s += &format!(", {name} {v}"),
            Some(Limit::Name(n)) => s += &format!(", {name} {n}"),
            None => {}
        }
    }
    s
}

/// The failures of the module in `text` (shown as `file`, registering
/// module `module`) against `spec` (shown as `spec_file`).
fn check_module(
    module: &str,
    file: &str,
    text: &str,
    spec_file: &str,
    spec: &Spec,
    kernel: &Kernel,
) -> Vec<String> {
    let default = Naming {
        module: "",
        sets: &[],
        enums: &[],
    };
    let naming = NAMING.iter().find(|n| n.module == module);
    let naming = naming.unwrap_or(&default);
    check_module_with(naming, file, text, spec_file, spec, kernel)
}

/// `check_module` with the module's `naming` (its `module` empty: the
/// default naming).
fn check_module_with(
    naming: &Naming,
    file: &str,
    text: &str,
    spec_file: &str,
    spec: &Spec,
    kernel: &Kernel,
) -> Vec<String> {
    let src = match parse_file(file, text) {
        Ok(ast) => top_level(file, &ast),
        Err(e) => return vec![e],
    };
    let mut c = Check {
        src: &src,
        spec,
        spec_file,
        kernel,
        failures: Vec::new(),
        policies: BTreeSet::new(),
    };
    c.run(naming);
    c.failures
}

/// The `name:` of the source's `module!`.
fn module_name(ast: &syn::File) -> Option<String> {
    let tokens = ast.items.iter().find_map(|i| match i {
        syn::Item::Macro(m)
            if m.mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "module") =>
        {
            Some(m.mac.tokens.clone().into_iter().collect::<Vec<_>>())
        }
        _ => None,
    })?;
    tokens.windows(3).find_map(|w| match w {
        [TokenTree::Ident(k), TokenTree::Punct(p), TokenTree::Literal(l)]
            if k == "name" && p.as_char() == ':' =>
        {
            match Lit::new(l.clone()) {
                Lit::Str(s) => Some(s.value()),
                _ => None,
            }
        }
        _ => None,
    })
}

#[test]
fn kernel_modules_match_their_specs() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .canonicalize()
        .expect("the repository");
    let kernel = Kernel::read(&top);
    let specs_dir = "Documentation/netlink/specs";
    let mut specs: BTreeSet<String> = fs::read_dir(top.join(specs_dir))
        .expect("the specs")
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_string))
        .collect();
    let mut files = Vec::new();
    rust_files(&top, &mut files);
    files.sort();
    let mut failures = Vec::new();
    let mut checked = Vec::new();
    for path in files {
        let text = read(&path);
        let file = path
            .strip_prefix(&top)
            .unwrap_or(&path)
            .display()
            .to_string();
        // A module with a family: a top-level `static _: OpsFamily<..>`.
        if !text.contains("OpsFamily<") {
            continue;
        }
        let ast = match parse_file(&file, &text) {
            Ok(ast) => ast,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if !top_level(&file, &ast).items.values().any(Item::is_family) {
            continue;
        }
        let Some(module) = module_name(&ast) else {
            failures.push(format!("{file}: a family, but no module! name"));
            continue;
        };
        let spec_file = format!("{specs_dir}/{module}.yaml");
        if !specs.remove(&module) {
            failures.push(format!(
                "{file}: module {module} registers a family, but there is no {spec_file}"
            ));
            continue;
        }
        let spec = match model::parse(&read(&top.join(&spec_file))) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{spec_file}: {e}"));
                continue;
            }
        };
        failures.extend(check_module(
            &module, &file, &text, &spec_file, &spec, &kernel,
        ));
        checked.push(module);
    }
    for s in &specs {
        failures.push(format!(
            "{specs_dir}/{s}.yaml: no module {s} registers the family"
        ));
    }
    for n in NAMING {
        if !checked.iter().any(|m| m == n.module) {
            failures.push(format!(
                "NAMING lists {}, which registers no family",
                n.module
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatch(es) between the kernel modules' family constants and their YNL specs:\n  {}\n",
        failures.len(),
        failures.join("\n  ")
    );
    assert!(
        !checked.is_empty(),
        "no module with a family found under {}",
        top.display()
    );
}

/// A family of the shape the modules have, with one mistake of each kind.
const BAD_SPEC: &str = "name: rv6-t\nversion: 2\n\
definitions:\n  - { name: colour, type: enum, entries: [ red, green ] }\n\
\x20 - { name: max-things, type: const, value: 4096 }\n\
attribute-sets:\n  - name: main\n    attributes:\n\
\x20     - { name: pad, type: pad, value: 1 }\n\
\x20     - { name: key, type: u32, checks: { min: 1 } }\n\
\x20     - { name: colour, type: u32, enum: colour }\n\
\x20     - { name: label, type: string, checks: { max-len: 15 } }\n\
\x20     - { name: sub, type: nest, nested-attributes: sub }\n\
\x20 - name: sub\n    attributes:\n\
\x20     - { name: addr, type: binary, checks: { exact-len: 16 } }\n\
operations:\n  list:\n\
\x20   - { name: get, value: 1, attribute-set: main, do: { request: { attributes: [ key ] } },\n\
\x20       dump: {} }\n\
\x20   - { name: set, attribute-set: main, flags: [ uns-admin-perm ],\n\
\x20       do: { request: { attributes: [ key, colour, label, sub ] } } }\n\
\x20   - { name: ntf, notify: get, mcgrp: watch }\n\
\x20   - { name: del-ntf, notify: get, mcgrp: watch }\n\
mcast-groups:\n  list:\n    - { name: watch }\n";

const BAD_MODULE: &str = r#"
module! {
    type: T,
    name: "rv6_t",
}

const CMD_GET: u8 = 1;
const CMD_SET: u8 = 2;
const CMD_NTF: u8 = 4; // renumbered: ntf is 3
// no CMD_DEL_NTF
const CMD_FLUSH: u8 = 5; // no such operation
const GROUP_WATCH: u32 = 1; // the only group is index 0
static GROUPS: [MulticastGroup; 1] = [MulticastGroup::const_new(c"wach")];

const A_PAD: u16 = 1;
const A_KEY: u16 = 2;
const A_COLOUR: u16 = 3;
const A_LABEL: u16 = 5; // renumbered: label is 4
const A_SUB: u16 = 5;
const A_GONE: u16 = 6; // no such attribute
const S_ADDR: u16 = 1;
const COLOUR_RED: u32 = 0; // colour is not listed in NAMING
const MAX_THINGS: usize = 1 << 11; // 2048, not 4096

static GET_POLICY: Policy<{ A_KEY as usize + 1 }> = Policy::new().with(A_KEY, AttrPolicy::u32());
static SUB_POLICY: Policy<{ S_ADDR as usize + 1 }> =
    Policy::new().with(S_ADDR, AttrPolicy::exact_len(4));
static SET_POLICY: Policy<{ A_SUB as usize + 2 }> = Policy::new()
    .with(A_KEY, AttrPolicy::u32_min(1))
    .with(A_COLOUR, AttrPolicy::u32_range(0, 2))
    .with(A_SUB, AttrPolicy::nested(&SUB_POLICY));
static OPS: [SplitOp<T>; 3] = [
    SplitOp::doit(CMD_GET, perm::NONE, &GET_POLICY),
    SplitOp::dumpit_without_attributes(CMD_GET, perm::NONE),
    SplitOp::doit(CMD_SET, perm::NONE, &SET_POLICY),
];
static FAMILY: OpsFamily<T> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-tt\0",
    1,
    &OPS,
    &GROUPS,
);
"#;

/// A kernel crate of `StatsOps` alone.
fn test_kernel(cmd: u8) -> Kernel {
    let text = format!(
        "impl<S: Counters> StatsOps<S> {{\n    pub const CMD: u8 = {cmd};\n    \
         pub const OPS: [SplitOp<Self>; 1] = [SplitOp::doit_without_attributes(Self::CMD, perm::NONE)];\n}}\n"
    );
    Kernel {
        stats_ops: stats_ops("genl.rs", &text),
        arrays: BTreeMap::new(),
    }
}

/// Each mistake is named, with its line, constant and spec entry.
#[test]
fn every_kind_of_mismatch_is_named() {
    let spec = model::parse(BAD_SPEC).unwrap();
    let naming = Naming {
        module: "rv6_t",
        sets: &[("A_", "main"), ("S_", "sub")],
        enums: &[],
    };
    let failures = check_module_with(
        &naming,
        "t.rs",
        BAD_MODULE,
        "t.yaml",
        &spec,
        &test_kernel(1),
    );
    let expected = [
        "t.rs:39: FAMILY: the family name is \"rv6-tt\", but t.yaml has name: rv6-t",
        "t.rs:40: FAMILY: version 1, but t.yaml has version 2",
        "t.rs:20: A_GONE = 6 has no counterpart: t.yaml has no gone in attribute set main",
        "t.rs:18: A_LABEL = 5, but t.yaml: attribute set main, attribute label is 4",
        "t.rs:22: COLOUR_RED looks like an entry of enum colour of t.yaml: list the enum in \
         NAMING (tools/net/rv6/tests/kernel_families.rs) to have its entries checked",
        "t.rs:23: MAX_THINGS = 2048, but t.yaml: const max-things is 4096",
        "t.rs:13: the family's multicast groups are [\"wach\"], but t.yaml has mcast-groups \
         [\"watch\"]",
        "t.rs:12: GROUP_WATCH = 1, but the family's groups lack watch",
        "t.rs:11: CMD_FLUSH = 5 has no counterpart: t.yaml has no operation flush",
        "t.rs:9: CMD_NTF = 4, but t.yaml: operation ntf is 3",
        "t.yaml: operation del-ntf (= 4) has no constant CMD_DEL_NTF in t.rs",
        "t.rs:25: GET_POLICY: A_KEY is AttrPolicy::u32(), but t.yaml: attribute set main, \
         attribute key (u32, min 1) is AttrPolicy::u32_min(1)",
        "t.rs:35: OPS: CMD_SET's do has perm::NONE, but t.yaml: operation set has flags \
         [\"uns-admin-perm\"], which is perm::NETNS_ADMIN",
        "t.rs:30: SET_POLICY: A_COLOUR is AttrPolicy::u32_range(0, 2), but t.yaml: attribute \
         set main, attribute colour (u32, enum colour) is AttrPolicy::u32_range(0, 1)",
        "t.rs:27: SUB_POLICY: S_ADDR is AttrPolicy::exact_len(4), but t.yaml: attribute set \
         sub, attribute addr (binary, exact-len 16) is AttrPolicy::in6_addr()",
        "t.rs:28: SET_POLICY lacks A_LABEL: t.yaml: operation set's do request has label",
        "t.rs:28: SET_POLICY is a Policy<7> (maxattr 6), but the highest attribute it holds is 5",
    ];
    for e in expected {
        assert!(
            failures.iter().any(|f| f == e),
            "missing: {e}\nin:\n{}",
            failures.join("\n")
        );
    }
    assert_eq!(failures.len(), expected.len(), "{}", failures.join("\n"));
}

/// A counters family takes its command from `StatsOps` and has no other.
#[test]
fn stats_ops_families_are_held_to_stats_get() {
    let spec = model::parse(
        "name: rv6-c\n\
         attribute-sets:\n  - name: stats\n    attributes:\n\
         \x20     - { name: pad, type: pad, value: 1 }\n      - { name: hits, type: u64 }\n\
         operations:\n  list:\n\
         \x20   - { name: stats-get, value: 1, attribute-set: stats, do: { reply: { attributes: [ hits ] } } }\n\
         \x20   - { name: stats-reset, attribute-set: stats, do: {} }\n",
    )
    .unwrap();
    let module = "module! {\n    name: \"rv6_c\",\n}\n\
                  const A_PAD: u16 = 1;\nconst A_HITS: u16 = 2;\n\
                  static FAMILY: OpsFamily<StatsOps<S>> =\n    \
                  OpsFamily::new(m, b\"rv6-c\\0\", 1, &StatsOps::<S>::OPS, &[]);\n";
    let failures = check_module("rv6_c", "c.rs", module, "c.yaml", &spec, &test_kernel(2));
    assert_eq!(
        failures,
        [
            "genl.rs:2: StatsOps::CMD = 2 serves stats-get, but c.yaml: operation stats-get is 1",
            "c.yaml: operation stats-reset (= 2) has no constant CMD_STATS_RESET in c.rs",
            "genl.rs:3: OPS: no do of operation stats-get, which c.yaml has",
        ]
    );
}

#[test]
fn constant_expressions_evaluate() {
    let text = "const A: u16 = 2;\nconst B: usize = A as usize + 1;\nconst C: usize = 1 << 20;\n\
                const D: u32 = 0x8000_0000 - 1; // a comment\nconst E: u8 = A as u8;\n";
    let src = top_level("e.rs", &parse_file("e.rs", text).unwrap());
    let kernel = Kernel {
        stats_ops: Source::new("genl.rs", []),
        arrays: BTreeMap::from([("HookPoint::ALL".to_string(), 5)]),
    };
    let scope = BTreeMap::new();
    let ev = Eval {
        src: &src,
        scope: &scope,
        kernel: &kernel,
    };
    let eval = |e: &str| ev.eval(&syn::parse_str(e).unwrap());
    for (expr, v) in [
        ("B", 3),
        ("C", 1 << 20),
        ("D", 0x7fff_ffff),
        ("(C + 4) * 2 - 1", ((1 << 20) + 4) * 2 - 1),
        ("HookPoint::ALL.len() as u32 - 1", 4),
        ("10u32", 10),
    ] {
        assert_eq!(eval(expr), Ok(v), "{expr}");
    }
    assert!(eval("Z").is_err());
    assert_eq!(eval("E"), Ok(2));
    assert!(eval("256 as u8").is_err());
    assert!(eval("Other::ALL.len()").is_err());
}
