//! Hand-built DNS messages for the in-memory tests.
#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use domain::base::Serial;
use domain::base::iana::{Class, Rcode, Rtype};
use domain::base::name::ParsedName;
use domain::base::{Message, MessageBuilder, Name, Ttl};
use domain::rdata::{A, Aaaa, AllRecordData, Cname, Ptr, Soa};

pub fn name(s: &str) -> Name<Vec<u8>> {
    Name::from_str(s).unwrap()
}

/// One record of a hand-built answer.
#[derive(Clone, Debug)]
pub enum Rr {
    A(&'static str, u32, Ipv4Addr),
    Aaaa(&'static str, u32, Ipv6Addr),
    Cname(&'static str, u32, &'static str),
    Ptr(&'static str, u32, &'static str),
    /// Owner, TTL, MINIMUM.
    Soa(&'static str, u32, u32),
}

/// A query as a stub resolver sends it.
pub fn query(id: u16, qname: &str, qtype: Rtype, cd: bool, edns: Option<(u16, bool)>) -> Vec<u8> {
    let mut b = MessageBuilder::new_vec();
    b.header_mut().set_id(id);
    b.header_mut().set_rd(true);
    b.header_mut().set_cd(cd);
    let mut q = b.question();
    q.push((name(qname), qtype)).unwrap();
    let mut add = q.additional();
    if let Some((size, dnssec_ok)) = edns {
        add.opt(|o| {
            o.set_udp_payload_size(size);
            o.set_dnssec_ok(dnssec_ok);
            Ok(())
        })
        .unwrap();
    }
    add.finish()
}

/// An answer to `query` (as received) with these sections.
pub fn answer(query: &[u8], rcode: Rcode, answer: &[Rr], authority: &[Rr]) -> Vec<u8> {
    let msg = Message::from_octets(query).unwrap();
    let mut a = MessageBuilder::new_vec().start_answer(&msg, rcode).unwrap();
    a.header_mut().set_ra(true);
    for rr in answer {
        push(&mut a, rr);
    }
    let mut auth = a.authority();
    for rr in authority {
        push(&mut auth, rr);
    }
    // An EDNS query gets an EDNS answer, DO echoed (RFC 3225).
    let mut add = auth.additional();
    if let Some(opt) = msg.opt() {
        add.opt(|o| {
            o.set_udp_payload_size(1232);
            o.set_dnssec_ok(opt.dnssec_ok());
            Ok(())
        })
        .unwrap();
    }
    add.finish()
}

fn push<T: domain::base::message_builder::RecordSectionBuilder<Vec<u8>>>(b: &mut T, rr: &Rr) {
    match rr {
        Rr::A(n, t, a) => b.push((name(n), Class::IN, Ttl::from_secs(*t), A::new(*a))),
        Rr::Aaaa(n, t, a) => b.push((name(n), Class::IN, Ttl::from_secs(*t), Aaaa::new(*a))),
        Rr::Cname(n, t, c) => b.push((name(n), Class::IN, Ttl::from_secs(*t), Cname::new(name(c)))),
        Rr::Ptr(n, t, c) => b.push((name(n), Class::IN, Ttl::from_secs(*t), Ptr::new(name(c)))),
        Rr::Soa(n, t, min) => b.push((
            name(n),
            Class::IN,
            Ttl::from_secs(*t),
            Soa::new(
                name("ns.example"),
                name("hostmaster.example"),
                Serial(1),
                Ttl::from_secs(3600),
                Ttl::from_secs(600),
                Ttl::from_secs(86400),
                Ttl::from_secs(*min),
            ),
        )),
    }
    .unwrap();
}

/// A decoded message, for comparisons.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Decoded {
    pub id: u16,
    pub rcode: Rcode,
    pub flags: Flags,
    pub question: (String, Rtype),
    /// (owner, type, TTL, data as text).
    pub answer: Vec<(String, Rtype, u32, String)>,
    pub authority: Vec<(String, Rtype, u32, String)>,
    /// EDNS: (udp size, DO).
    pub edns: Option<(u16, bool)>,
}

/// Header flags.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Flags {
    pub qr: bool,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    pub ad: bool,
    pub cd: bool,
}

pub fn decode(bytes: &[u8]) -> Decoded {
    let msg = Message::from_octets(bytes).unwrap();
    let h = msg.header();
    let q = msg.sole_question().unwrap();
    let section = |s: domain::base::message::RecordSection<'_, &[u8]>| {
        s.flatten()
            .filter(|r| r.rtype() != Rtype::OPT)
            .map(|r| {
                let rec = r
                    .to_record::<AllRecordData<&[u8], ParsedName<&[u8]>>>()
                    .unwrap()
                    .unwrap();
                (
                    rec.owner().to_string().to_lowercase(),
                    r.rtype(),
                    rec.ttl().as_secs(),
                    rec.data().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    Decoded {
        id: h.id(),
        rcode: h.rcode(),
        flags: Flags {
            qr: h.qr(),
            aa: h.aa(),
            tc: h.tc(),
            rd: h.rd(),
            ra: h.ra(),
            ad: h.ad(),
            cd: h.cd(),
        },
        question: (q.qname().to_string().to_lowercase(), q.qtype()),
        answer: section(msg.answer().unwrap()),
        authority: section(msg.authority().unwrap()),
        edns: msg.opt().map(|o| (o.udp_payload_size(), o.dnssec_ok())),
    }
}

pub fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}
