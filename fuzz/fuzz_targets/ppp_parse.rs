//! Every ppp-proto parser on arbitrary bytes: what parses re-emits to the
//! same bytes (up to the Length field) and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ppp_proto::wire::chap::ChapPacket;
use ppp_proto::wire::cp::{ConfigOption, CpBody, CpPacket, Options};
use ppp_proto::wire::ipcp::IpcpOption;
use ppp_proto::wire::ipv6cp::Ipv6cpOption;
use ppp_proto::wire::lcp::LcpOption;
use ppp_proto::wire::pap::PapPacket;
use ppp_proto::wire::{PppFrame, protocol};

fn options<'a, O: ConfigOption<'a>>(opts: Options<'a>) {
    for raw in opts.iter() {
        if let Ok(o) = O::from_raw(raw) {
            let mut out = Vec::new();
            o.put(&mut out);
            assert_eq!(out, raw.bytes);
            assert_eq!(o.buffer_len(), out.len());
        }
    }
}

fn cp<'a, O: ConfigOption<'a>>(payload: &'a [u8], extended: bool) {
    if let Ok(p) = CpPacket::parse(payload, extended) {
        let mut out = Vec::new();
        p.put(&mut out);
        assert_eq!(out.len(), p.buffer_len());
        assert_eq!(out, payload[..out.len()]);
        if let CpBody::ConfigureRequest(o)
        | CpBody::ConfigureAck(o)
        | CpBody::ConfigureNak(o)
        | CpBody::ConfigureReject(o) = p.body
        {
            options::<O>(o);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(f) = PppFrame::parse(data) else { return };
    let mut out = Vec::new();
    f.put(&mut out);
    assert_eq!(out, data);
    // Every parser on the payload, whatever the protocol says.
    cp::<LcpOption>(f.payload, true);
    cp::<IpcpOption>(f.payload, false);
    cp::<Ipv6cpOption>(f.payload, false);
    if let Ok(p) = PapPacket::parse(f.payload) {
        let v = p.to_vec();
        assert_eq!(v, f.payload[..v.len()]);
    }
    if let Ok(p) = ChapPacket::parse(f.payload) {
        let v = p.to_vec();
        assert_eq!(v, f.payload[..v.len()]);
    }
    let _ = f.protocol == protocol::LCP;
});
