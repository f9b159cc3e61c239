//! What `router status` shows of the WAN, and failure reasons for people.

use std::net::Ipv4Addr;
use std::time::Instant as StdInstant;

use pppoe_proto::FailReason;

use super::{Wan, link_local};

/// A discovery failure for people.
pub(super) fn fail_text(r: &FailReason) -> String {
    let text = |t: &[u8]| String::from_utf8_lossy(t).into_owned();
    match r {
        FailReason::NoOffer => "no access concentrator answered (is wan.interface the right port? wan.service / wan.ac_name too strict?)".into(),
        FailReason::NoConfirmation => "the access concentrator did not confirm the session (no PADS)".into(),
        FailReason::ServiceNameError(t) => format!("Service-Name error: {}", text(t)),
        FailReason::AcSystemError(t) => format!("AC system error: {}", text(t)),
        FailReason::GenericError(t) => format!("error from the AC: {}", text(t)),
        FailReason::Refused => "the AC refused the session".into(),
        FailReason::Aborted => "aborted".into(),
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
            None => s += "ipv4: -\n",
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
