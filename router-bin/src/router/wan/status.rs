//! What `router status` shows of the WAN, and failure reasons for people.

use std::net::Ipv4Addr;
use std::time::Instant as StdInstant;

use ppp_proto::PppDownReason;
use pppoe_proto::PppoeFailReason;

use super::{Wan, link_local};

/// A discovery failure for people; `ac_name` and `service` are the
/// configured filters (`wan.ac_name`, `wan.service`).
pub(super) fn fail_text(r: &PppoeFailReason, ac_name: Option<&str>, service: &str) -> String {
    let text = |t: &[u8]| String::from_utf8_lossy(t).into_owned();
    match r {
        PppoeFailReason::NoMatchingOffer { offers, ac_names } => {
            let mut wanted = Vec::new();
            if let Some(a) = ac_name {
                wanted.push(format!("from AC-Name {a:?} (wan.ac_name)"));
            }
            if !service.is_empty() {
                wanted.push(format!("offering Service-Name {service:?} (wan.service)"));
            }
            let names: Vec<String> = ac_names.iter().map(|n| format!("{:?}", text(n))).collect();
            format!(
                "{offers} PADO{}, none {}; they came from AC-Name {}",
                if *offers == 1 { "" } else { "s" },
                wanted.join(" and "),
                names.join(", ")
            )
        }
        PppoeFailReason::NoOffer => "no access concentrator answered (is wan.interface the right port? wan.service / wan.ac_name too strict?)".into(),
        PppoeFailReason::NoConfirmation => "the access concentrator did not confirm the session (no PADS)".into(),
        PppoeFailReason::ServiceNameError(t) => format!("Service-Name error: {}", text(t)),
        PppoeFailReason::AcSystemError(t) => format!("AC system error: {}", text(t)),
        PppoeFailReason::GenericError(t) => format!("error from the AC: {}", text(t)),
        PppoeFailReason::Refused => "the AC refused the session".into(),
        PppoeFailReason::Aborted => "aborted".into(),
    }
}

/// Why PPP went down, for people: the AC's own words when it terminated
/// the link (its LCP Terminate-Request text).
pub(super) fn down_text(reason: &PppDownReason) -> String {
    match reason {
        PppDownReason::PeerTerminated { message } if message.is_empty() => {
            "PPP down: the AC terminated the link".to_owned()
        }
        PppDownReason::PeerTerminated { message } => {
            format!("PPP down: the AC terminated the link: {message:?}")
        }
        other => format!("PPP down: {other:?}"),
    }
}

impl Wan {
    /// The WAN part of `router status`.
    pub fn status_text(&self) -> String {
        let phase = match (&self.link, &self.ipv4, &self.ipv6) {
            (None, ..) if self.closing => "closing",
            (None, ..) => "waiting to redial",
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => "up",
            (Some(_), None, None) if self.session.is_some() => "negotiating PPP",
            (Some(_), None, None) => "discovering",
        };
        let mut s = format!(
            "wan: {phase} on {} ({})\n",
            self.cfg.wan.interface, self.cfg.wan.ppp_interface
        );
        if let Some((id, mac)) = &self.session {
            s += &format!("session: {id} with AC {mac:?}, MTU {}\n", self.mtu);
        }
        match &self.ipv4 {
            Some((l, p, dns)) => {
                let dns: Vec<String> = dns.iter().map(Ipv4Addr::to_string).collect();
                s += &format!("ipv4: {l} peer {p} dns {}\n", dns.join(" "));
            }
            None => match self.ipv4_absent() {
                Some(why) => s += &format!("ipv4: none, IPv6-only WAN ({why})\n"),
                None => s += "ipv4: -\n",
            },
        }
        match self.ipv6 {
            Some((l, p)) => {
                s += &format!("ipv6: {} peer {}\n", link_local(l), link_local(p));
            }
            None => s += "ipv6: -\n",
        }
        let up = self.up_since.map_or(0, |t| t.elapsed().as_secs());
        s += &format!(
            "uptime: session {up}s, router {}s\n",
            self.started.elapsed().as_secs()
        );
        s += &format!("dials: {}\n", self.dials);
        if let Some(why) = &self.last_down {
            s += &format!("last down: {why}\n");
        }
        if let Some(t) = self.retry_at {
            s += &format!(
                "redial in: {:.1}s\n",
                t.saturating_duration_since(StdInstant::now()).as_secs_f64()
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every PADO refused by the filters: the reason names the filter and
    /// who answered, not "no access concentrator answered".
    #[test]
    fn refused_offers_name_the_filter() {
        let r = PppoeFailReason::NoMatchingOffer {
            offers: 3,
            ac_names: vec![b"isp-bras-1".to_vec(), b"other".to_vec()],
        };
        assert_eq!(
            fail_text(&r, Some("my-ac"), ""),
            "3 PADOs, none from AC-Name \"my-ac\" (wan.ac_name); they came from AC-Name \"isp-bras-1\", \"other\""
        );
        let r = PppoeFailReason::NoMatchingOffer {
            offers: 1,
            ac_names: vec![b"isp".to_vec()],
        };
        assert_eq!(
            fail_text(&r, None, "voip"),
            "1 PADO, none offering Service-Name \"voip\" (wan.service); they came from AC-Name \"isp\""
        );
        assert!(
            fail_text(&PppoeFailReason::NoOffer, None, "")
                .starts_with("no access concentrator answered")
        );
    }

    /// The AC's Terminate-Request text is logged (it used to be only
    /// "PeerTerminated").
    #[test]
    fn the_acs_terminate_text_is_shown() {
        let r = PppDownReason::PeerTerminated {
            message: "peer refused to authenticate".into(),
        };
        assert_eq!(
            down_text(&r),
            "PPP down: the AC terminated the link: \"peer refused to authenticate\""
        );
        assert_eq!(
            down_text(&PppDownReason::EchoTimeout),
            "PPP down: EchoTimeout"
        );
    }
}
