//! IP network functions (`cidrhost`, `cidrnetmask`, `cidrsubnet`, `cidrsubnets`) on `ipnet`,
//! with the arithmetic of Terraform's `go-cidr` done on 128-bit integers for both families.

use std::net::IpAddr;

use ipnet::IpNet;

use super::*;

/// A parsed prefix: the network address as an integer, its prefix length and the width of its
/// family (32 or 128).
#[derive(Clone, Copy)]
struct Prefix {
    addr: u128,
    len: u32,
    width: u32,
}

impl Prefix {
    fn mask(len: u32, width: u32) -> u128 {
        if len == 0 {
            0
        } else {
            let full = if width == 128 {
                u128::MAX
            } else {
                (1u128 << width) - 1
            };
            full & !((1u128 << (width - len)) - 1) & full
        }
    }
    fn size(len: u32, width: u32) -> u128 {
        // The number of addresses in a prefix of `len`, saturating for ::/0.
        let host = width - len;
        if host >= 128 {
            u128::MAX
        } else {
            1u128 << host
        }
    }
    fn ip(&self, addr: u128) -> IpAddr {
        if self.width == 32 {
            IpAddr::V4(std::net::Ipv4Addr::from(addr as u32))
        } else {
            IpAddr::V6(std::net::Ipv6Addr::from(addr))
        }
    }
    fn show(&self, addr: u128, len: u32) -> String {
        format!("{}/{}", self.ip(addr), len)
    }
    fn modulus_mask(&self) -> u128 {
        if self.width == 128 {
            u128::MAX
        } else {
            (1u128 << self.width) - 1
        }
    }
}

/// Parses `prefix` as Go's `net.ParseCIDR` does: the host part is masked away. A bad prefix
/// is a failed call, except for `cidrsubnets`, which blames the argument (`as_arg`).
fn parse_prefix(a: &[Value], i: usize, as_arg: bool) -> Result<Prefix, FnError> {
    let s = string(a, i)?;
    let net: IpNet = s.parse().map_err(|_| {
        let msg = format!("invalid CIDR expression: invalid CIDR address: {s}");
        if as_arg {
            arg_err(i, msg)
        } else {
            FnError::Call(msg)
        }
    })?;
    let (addr, width) = match net.network() {
        IpAddr::V4(v) => (u32::from(v) as u128, 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    };
    Ok(Prefix {
        addr,
        len: net.prefix_len() as u32,
        width,
    })
}

fn whole(a: &[Value], i: usize) -> Result<i64, FnError> {
    let n = float(a, i)?;
    if n.fract() != 0.0 || !n.is_finite() || n.abs() > 9.2e18 {
        return Err(FnError::Call("value must be a whole number".into()));
    }
    Ok(n as i64)
}

pub(super) fn fn_cidrhost(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let p = parse_prefix(&a, 0, false)?;
    let hostnum = whole(&a, 1)?;
    let host_bits = p.width - p.len;
    let max: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let num: u128 = if hostnum < 0 {
        let back = (-(hostnum as i128) - 1) as u128;
        if back > max {
            return Err(FnError::Call(format!(
                "prefix of {} does not accommodate a host numbered {hostnum}",
                p.len
            )));
        }
        max - back
    } else {
        hostnum as u128
    };
    if num > max {
        return Err(FnError::Call(format!(
            "prefix of {} does not accommodate a host numbered {hostnum}",
            p.len
        )));
    }
    Ok(Value::String(p.ip(p.addr | num).to_string()))
}

pub(super) fn fn_cidrnetmask(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let p = parse_prefix(&a, 0, false)?;
    if p.width != 32 {
        return Err(FnError::Call(format!(
            "IPv6 addresses cannot have a netmask: {}",
            string(&a, 0)?
        )));
    }
    let m = Prefix::mask(p.len, 32) as u32;
    Ok(Value::String(std::net::Ipv4Addr::from(m).to_string()))
}

pub(super) fn fn_cidrsubnet(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let p = parse_prefix(&a, 0, false)?;
    let newbits = whole(&a, 1)?;
    let netnum = whole(&a, 2)?;
    if newbits < 0 {
        return Err(FnError::Call(
            "must extend prefix by at least one bit".into(),
        ));
    }
    let newlen = p.len as i64 + newbits;
    if newlen > p.width as i64 {
        return Err(FnError::Call(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            p.len
        )));
    }
    let newlen = newlen as u32;
    let max: u128 = if newbits >= 128 {
        u128::MAX
    } else {
        (1u128 << newbits) - 1
    };
    if netnum < 0 || netnum as u128 > max {
        return Err(FnError::Call(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        )));
    }
    let shift = p.width - newlen;
    let offset = if shift >= 128 {
        0
    } else {
        (netnum as u128) << shift
    };
    Ok(Value::String(p.show(p.addr | offset, newlen)))
}

pub(super) fn fn_cidrsubnets(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let p = parse_prefix(&a, 0, true)?;
    if a.len() == 1 {
        return Ok(Value::List(Vec::new()));
    }
    let modm = p.modulus_mask();
    let first = whole(&a, 1)? + p.len as i64;
    // The subnet of the first length just before the base prefix, as go-cidr's PreviousSubnet.
    let first = first.clamp(0, p.width as i64) as u32;
    let mut cur_len = first;
    let mut cur = p.addr.wrapping_sub(1) & modm & Prefix::mask(first, p.width);
    let base_mask = Prefix::mask(p.len, p.width);
    let mut out = Vec::with_capacity(a.len() - 1);
    for i in 1..a.len() {
        let bits = whole(&a, i)?;
        if bits < 1 {
            return Err(arg_err(i, "must extend prefix by at least one bit"));
        }
        if bits > 32 {
            return Err(arg_err(i, "may not extend prefix by more than 32 bits"));
        }
        let len = bits + p.len as i64;
        if len > p.width as i64 {
            let proto = if p.width == 32 { "IPv4" } else { "IPv6" };
            return Err(arg_err(
                i,
                format!(
                    "would extend prefix to {len} bits, which is too long for an {proto} address"
                ),
            ));
        }
        let len = len as u32;
        // go-cidr's NextSubnet: the subnet of `len` after the one holding `cur`'s last address.
        let cur_last = cur.wrapping_add(Prefix::size(cur_len, p.width).wrapping_sub(1)) & modm;
        let start = cur_last & Prefix::mask(len, p.width);
        let last = start.wrapping_add(Prefix::size(len, p.width).wrapping_sub(1)) & modm;
        let next = last.wrapping_add(1) & modm;
        let rollover = next == 0;
        if rollover || next & base_mask != p.addr {
            return Err(arg_err(
                i,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {len} bits after {}",
                    p.show(cur, cur_len)
                ),
            ));
        }
        cur = next;
        cur_len = len;
        out.push(Value::String(p.show(cur, cur_len)));
    }
    Ok(Value::List(out))
}
