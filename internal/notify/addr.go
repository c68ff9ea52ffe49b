package notify

import (
	"fmt"
	"net/netip"
	"strings"
)

// The address policy: which addresses a notification may be sent to. It is
// applied to every address the worker dials, after DNS, so a name that
// resolves to an internal address is refused like the address itself.
//
// Every address is in one of three classes, from the IANA IPv4 and IPv6
// special-purpose address registries (and the multicast and reserved
// blocks): public (sent to), private (loopback and the private networks:
// sent to only with AllowPrivate) and refused (link-local, cloud metadata
// services, unspecified, multicast, broadcast, documentation, benchmarking,
// reserved and protocol blocks: never sent to). An address inside one of
// AllowCIDRs is sent to whatever its class. An IPv6 address that embeds an
// IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) is in the stricter class
// of the two.

// addrClass is an address's class, from the most to the least allowed.
type addrClass int

const (
	classPublic  addrClass = iota
	classPrivate           // allowed with AllowPrivate
	classRefused           // allowed only through AllowCIDRs
)

type special struct {
	prefix netip.Prefix
	class  addrClass
	name   string
}

// specials are the special-purpose blocks; an address takes the entry of
// the longest prefix that contains it.
var specials = func() []special {
	p := func(s string, c addrClass, name string) special {
		return special{netip.MustParsePrefix(s), c, name}
	}
	const metadata = "cloud metadata service"
	return []special{
		// IPv4 (IANA IPv4 Special-Purpose Address Registry, multicast and
		// reserved blocks).
		p("0.0.0.0/8", classRefused, `"this network" (0.0.0.0/8)`),
		p("10.0.0.0/8", classPrivate, "private network (10.0.0.0/8)"),
		p("100.64.0.0/10", classPrivate, "shared address space (100.64.0.0/10, carrier-grade NAT)"),
		p("127.0.0.0/8", classPrivate, "loopback (127.0.0.0/8)"),
		p("169.254.0.0/16", classRefused, "link-local (169.254.0.0/16)"),
		p("172.16.0.0/12", classPrivate, "private network (172.16.0.0/12)"),
		p("192.0.0.0/24", classRefused, "IETF protocol assignments (192.0.0.0/24)"),
		p("192.0.2.0/24", classRefused, "documentation (192.0.2.0/24)"),
		p("192.88.99.0/24", classRefused, "deprecated 6to4 relay anycast (192.88.99.0/24)"),
		p("192.168.0.0/16", classPrivate, "private network (192.168.0.0/16)"),
		p("198.18.0.0/15", classRefused, "benchmarking (198.18.0.0/15)"),
		p("198.51.100.0/24", classRefused, "documentation (198.51.100.0/24)"),
		p("203.0.113.0/24", classRefused, "documentation (203.0.113.0/24)"),
		p("224.0.0.0/4", classRefused, "multicast (224.0.0.0/4)"),
		p("240.0.0.0/4", classRefused, "reserved (240.0.0.0/4)"),
		p("255.255.255.255/32", classRefused, "limited broadcast (255.255.255.255)"),
		// Cloud metadata and platform services.
		p("169.254.169.254/32", classRefused, metadata),
		p("169.254.170.2/32", classRefused, metadata+" (container credentials)"),
		p("169.254.170.23/32", classRefused, metadata+" (pod identity)"),
		p("100.100.100.200/32", classRefused, metadata),
		p("168.63.129.16/32", classRefused, "cloud platform service (Azure WireServer)"),
		p("192.0.0.192/32", classRefused, metadata),

		// IPv6 (IANA IPv6 Special-Purpose Address Registry, multicast and
		// the blocks outside global unicast).
		p("::/0", classRefused, "reserved (outside 2000::/3)"),
		p("2000::/3", classPublic, ""),
		p("::/128", classRefused, "unspecified (::)"),
		p("::1/128", classPrivate, "loopback (::1)"),
		p("::/96", classRefused, "IPv4-compatible IPv6 address (::/96, deprecated)"),
		p("64:ff9b::/96", classPublic, ""), // NAT64: the embedded IPv4 address decides
		p("64:ff9b:1::/48", classPrivate, "local-use NAT64 (64:ff9b:1::/48)"),
		p("100::/64", classRefused, "discard-only (100::/64)"),
		p("100:0:0:1::/64", classRefused, "dummy prefix (100:0:0:1::/64)"),
		p("2001::/23", classRefused, "IETF protocol assignments (2001::/23)"),
		p("2001::/32", classPublic, ""), // Teredo: the embedded IPv4 addresses decide
		p("2001:1::1/128", classPublic, ""),
		p("2001:1::2/128", classPublic, ""),
		p("2001:1::3/128", classPublic, ""),
		p("2001:2::/48", classRefused, "benchmarking (2001:2::/48)"),
		p("2001:3::/32", classPublic, ""),
		p("2001:4:112::/48", classPublic, ""),
		p("2001:10::/28", classRefused, "deprecated ORCHID (2001:10::/28)"),
		p("2001:20::/28", classPublic, ""),
		p("2001:30::/28", classPublic, ""),
		p("2001:db8::/32", classRefused, "documentation (2001:db8::/32)"),
		p("2002::/16", classPublic, ""), // 6to4: the embedded IPv4 address decides
		p("3fff::/20", classRefused, "documentation (3fff::/20)"),
		p("5f00::/16", classRefused, "segment routing SIDs (5f00::/16)"),
		p("fc00::/7", classPrivate, "unique local address (fc00::/7)"),
		p("fe80::/10", classRefused, "link-local (fe80::/10)"),
		p("fec0::/10", classPrivate, "site-local (fec0::/10, deprecated)"),
		p("ff00::/8", classRefused, "multicast (ff00::/8)"),
		p("fd00:ec2::254/128", classRefused, metadata),
		p("fd00:ec2::23/128", classRefused, metadata+" (pod identity)"),
	}
}()

// lookupSpecial returns the entry of the longest prefix containing a, an
// unmapped address without a zone.
func lookupSpecial(a netip.Addr) (special, bool) {
	var best special
	found := false
	for _, s := range specials {
		if s.prefix.Contains(a) && (!found || s.prefix.Bits() > best.prefix.Bits()) {
			best, found = s, true
		}
	}
	return best, found
}

// classify returns an address's class and, unless it is public, why.
func classify(a netip.Addr) (addrClass, string) {
	a = a.WithZone("").Unmap()
	s, _ := lookupSpecial(a) // every IPv6 address is inside ::/0; an IPv4 one outside every block is public
	class, why := s.class, s.name
	if e, kind, ok := embeddedIPv4(a); ok {
		if c, w := classify(e); c > class {
			class, why = c, fmt.Sprintf("%s address embedding %s, %s", kind, e, w)
		}
	}
	return class, why
}

// embeddedIPv4 returns the IPv4 address a NAT64, 6to4 or Teredo address
// carries, the one packets to it end up at (for Teredo, the client's).
func embeddedIPv4(a netip.Addr) (netip.Addr, string, bool) {
	if !a.Is6() {
		return netip.Addr{}, "", false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64", true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4", true
	case teredo.Contains(a):
		// The client's address, obfuscated by inverting its bits; the
		// server's (b[4:8]) is public by construction and is not dialled.
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo", true
	}
	return netip.Addr{}, "", false
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	teredo    = netip.MustParsePrefix("2001::/32")
)

// refusedError is an attempt stopped before connecting: the address is not
// allowed.
type refusedError struct {
	addr    netip.Addr
	why     string
	private bool // AllowPrivate would allow it
}

func (e *refusedError) Error() string {
	host := singleHostPrefix(e.addr)
	if e.private {
		return fmt.Sprintf("address %s is %s: not sent to private addresses; allow them with --notify-allow-private, or this one with --notify-allow-cidr %s", e.addr, e.why, host)
	}
	return fmt.Sprintf("address %s is %s: never sent to; allow it with --notify-allow-cidr %s", e.addr, e.why, host)
}

func singleHostPrefix(a netip.Addr) string {
	return netip.PrefixFrom(a, a.BitLen()).String()
}

// checkAddr applies the policy to an address about to be dialled: nil when
// it may be, else a *refusedError.
func (w *Worker) checkAddr(a netip.Addr) error {
	a = a.WithZone("").Unmap()
	for _, p := range w.AllowCIDRs {
		if p.Contains(a) {
			return nil
		}
	}
	switch class, why := classify(a); class {
	case classPublic:
		return nil
	case classPrivate:
		if w.AllowPrivate {
			return nil
		}
		return &refusedError{addr: a, why: why, private: true}
	default:
		return &refusedError{addr: a, why: why}
	}
}

// ParseCIDRs parses a comma-separated list of CIDR prefixes (10.1.0.0/16,
// fd00:1::/64) or single addresses (10.1.2.3, taken as /32 or /128), as
// --notify-allow-cidr takes them. Empty items are ignored.
func ParseCIDRs(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			a, err := netip.ParseAddr(item)
			if err != nil {
				return nil, fmt.Errorf("%q is neither a CIDR prefix (10.1.0.0/16) nor an IP address", item)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			why := err.Error() // netip.ParsePrefix("…"): why
			if i := strings.LastIndex(why, "): "); i >= 0 {
				why = why[i+3:]
			}
			return nil, fmt.Errorf("%q is not a CIDR prefix (10.1.0.0/16, fd00:1::/64): %s", item, why)
		}
		if p.Addr().Is4In6() {
			return nil, fmt.Errorf("%q: write IPv4 prefixes in IPv4 form", item)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
