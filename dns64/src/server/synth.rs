//! The answers the DNS64 machine builds itself: synthesized AAAA (RFC 6147
//! §5.1), AAAA answers without excluded records (§5.1.4), the PTR CNAME
//! (§5.3.1) and `ipv4only.arpa` (RFC 8880 §7.2).

use alloc::vec::Vec;
use core::net::{IpAddr, Ipv6Addr};

use domain::base::Message;
use domain::base::iana::{Class, Rcode, Rtype};
use domain::rdata::{A, Aaaa, AllRecordData, Cname};

use super::{Dns64, Query};
use crate::names::IPV4ONLY_ADDRESSES;
use crate::wire::{self, Question, ReplyTo};

impl Dns64 {
    /// The AAAA answer with excluded AAAA records removed.
    pub(super) fn without_excluded(&self, q: &Query, msg: &Message<&[u8]>) -> Vec<u8> {
        let h = msg.header();
        let mut a = wire::reply_builder(q.reply, &q.question, h.rcode(), h.ra());
        a.header_mut().set_ad(h.ad());
        a.header_mut().set_aa(h.aa());
        for r in wire::answers(msg) {
            if let AllRecordData::Aaaa(x) = r.data()
                && self.config.is_excluded(x.addr())
            {
                continue;
            }
            let _ = a.push(r);
        }
        let mut auth = a.authority();
        for r in wire::authorities(msg) {
            let _ = auth.push(r);
        }
        wire::finish(auth.additional(), q.reply.edns)
    }

    /// The synthesized answer from the A answer, or `None` when it has no
    /// usable A record (then the AAAA answer stands).
    pub(super) fn synthesize(
        &self,
        q: &Query,
        aaaa: &[u8],
        a_msg: &Message<&[u8]>,
    ) -> Option<Vec<u8>> {
        if a_msg.header().rcode() != Rcode::NOERROR {
            return None;
        }
        let neg_ttl = negative_ttl(aaaa);
        // Follow the CNAME chain from the question to the A owner.
        let mut target = q.question.name.clone();
        let mut chain: Vec<wire::AnyRecord<'_>> = Vec::new();
        let records: Vec<_> = wire::answers(a_msg).collect();
        for _ in 0..records.len() {
            let next = records.iter().find(|r| {
                matches!(r.data(), AllRecordData::Cname(_))
                    && domain::base::ToName::name_eq(r.owner(), &target)
            });
            let Some(r) = next else { break };
            if let AllRecordData::Cname(c) = r.data() {
                target = domain::base::ToName::to_name(c.cname());
            }
            chain.push(r.clone());
        }
        let mut synthesized: Vec<(u32, Ipv6Addr)> = Vec::new();
        for r in &records {
            let AllRecordData::A(a) = r.data() else {
                continue;
            };
            if !domain::base::ToName::name_eq(r.owner(), &target)
                || !self.config.mapped.matches(IpAddr::V4(a.addr()))
            {
                continue;
            }
            let ttl = r.ttl().as_secs().min(neg_ttl);
            for p in &self.config.prefixes {
                if let Ok(v6) = p.embed(a.addr()) {
                    synthesized.push((ttl, v6));
                }
            }
        }
        if synthesized.is_empty() {
            return None;
        }
        let h = a_msg.header();
        let mut b = wire::reply_builder(q.reply, &q.question, Rcode::NOERROR, h.ra());
        for r in &chain {
            let _ = b.push(r.clone());
        }
        let owner = target;
        for (ttl, v6) in synthesized {
            let _ = b.push((&owner, Class::IN, wire::ttl(ttl), Aaaa::new(v6)));
        }
        let bytes = wire::finish(b.additional(), q.reply.edns);
        if bytes.len() > wire::reply_limit(q.reply.edns) {
            return Some(wire::truncated(
                q.reply,
                &q.question,
                Rcode::NOERROR,
                h.ra(),
            ));
        }
        Some(bytes)
    }

    /// The CNAME from the ip6.arpa name, then the in-addr.arpa answer.
    pub(super) fn ptr_answer(&self, q: &Query, msg: &Message<&[u8]>) -> Vec<u8> {
        let h = msg.header();
        let mut b = wire::reply_builder(q.reply, &q.question, h.rcode(), h.ra());
        let cname = Cname::new(&q.upstream.name);
        let _ = b.push((
            &q.question.name,
            Class::IN,
            wire::ttl(self.config.local_ttl),
            cname,
        ));
        for r in wire::answers(msg) {
            let _ = b.push(r);
        }
        let mut auth = b.authority();
        for r in wire::authorities(msg) {
            let _ = auth.push(r);
        }
        let bytes = wire::finish(auth.additional(), q.reply.edns);
        if bytes.len() > wire::reply_limit(q.reply.edns) {
            return wire::truncated(q.reply, &q.question, h.rcode(), h.ra());
        }
        bytes
    }

    /// RFC 8880 §7.2: `ipv4only.arpa` without asking upstream.
    pub(super) fn ipv4only_answer(
        &self,
        reply: ReplyTo,
        q: &Question,
        depth: usize,
        dns64: bool,
    ) -> Vec<u8> {
        let rcode = if depth == 0 {
            Rcode::NOERROR
        } else {
            Rcode::NXDOMAIN
        };
        let mut b = wire::reply_builder(reply, q, rcode, true);
        b.header_mut().set_aa(true);
        let ttl = wire::ttl(self.config.local_ttl);
        if depth == 0 && q.qclass == Class::IN {
            for v4 in IPV4ONLY_ADDRESSES {
                match q.qtype {
                    Rtype::A => {
                        let _ = b.push((&q.name, Class::IN, ttl, A::new(v4)));
                    }
                    Rtype::AAAA if dns64 => {
                        for p in &self.config.prefixes {
                            if let Ok(v6) = p.embed(v4) {
                                let _ = b.push((&q.name, Class::IN, ttl, Aaaa::new(v6)));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        wire::finish(b.additional(), reply.edns)
    }
}

/// The negative-caching TTL of an AAAA answer (RFC 2308 §5: min of the
/// SOA's TTL and MINIMUM), 600 s without SOA (RFC 6147 §5.1.7).
fn negative_ttl(aaaa: &[u8]) -> u32 {
    let Ok((msg, _)) = wire::parse(aaaa) else {
        return 600;
    };
    wire::authorities(&msg)
        .find_map(|r| match r.data() {
            AllRecordData::Soa(s) => Some(r.ttl().as_secs().min(s.minimum().as_secs())),
            _ => None,
        })
        .unwrap_or(600)
}
