package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is a set of networks whose forwarding headers are believed. The
// zero value trusts no one.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies parses CIDRs ("10.0.0.0/8", "2001:db8::/32"); a bare address
// ("127.0.0.1") stands for that one host. Empty entries are skipped.
func ParseProxies(list []string) (Proxies, error) {
	var p Proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		n, err := parseNet(s)
		if err != nil {
			return Proxies{}, err
		}
		p.nets = append(p.nets, n)
	}
	return p, nil
}

func parseNet(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		n, err := netip.ParsePrefix(s)
		if err != nil || n.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("clientaddr: %q is not a CIDR like 10.0.0.0/8 or 2001:db8::/32", s)
		}
		if n.Addr().Is4In6() && n.Bits() >= 96 {
			n = netip.PrefixFrom(n.Addr().Unmap(), n.Bits()-96)
		}
		return n.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("clientaddr: %q is not a CIDR like 10.0.0.0/8 or an IP address", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Empty reports whether no network is trusted.
func (p Proxies) Empty() bool { return len(p.nets) == 0 }

// String lists the networks, comma-separated.
func (p Proxies) String() string {
	s := make([]string, len(p.nets))
	for i, n := range p.nets {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

// Trusts reports whether a is inside one of the networks.
func (p Proxies) Trusts(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Client is the address of the client that sent r: the one trusted proxies
// forwarded (see Forwarded), else the host of r.RemoteAddr.
func (p Proxies) Client(r *http.Request) string {
	if a, ok := p.Forwarded(r.RemoteAddr, r.Header); ok {
		return a.String()
	}
	return Host(r.RemoteAddr)
}

// Forwarded returns the client address the forwarding headers give, when
// peer (the socket's remote address, "host:port") is a trusted proxy.
//
// X-Forwarded-For is walked from the right, where the nearest proxy
// appended the address it saw, skipping trusted proxies: the first address
// that is not one is the client. Entries further left were written by the
// client or by proxies nobody vouches for and are never looked at. When
// every entry is a trusted proxy the left-most one is the client. Without
// X-Forwarded-For, X-Real-IP is used. A malformed entry where the client
// should be makes the headers unusable: ok is false and the caller counts
// the request against the peer, the proxy itself.
func (p Proxies) Forwarded(peer string, h http.Header) (client netip.Addr, ok bool) {
	if len(p.nets) == 0 {
		return netip.Addr{}, false
	}
	pa, err := netip.ParseAddr(Host(peer))
	if err != nil || !p.Trusts(pa) {
		return netip.Addr{}, false
	}
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		return p.walk(xff)
	}
	if rip := h.Get("X-Real-IP"); rip != "" {
		a, err := parseEntry(rip)
		return a, err == nil
	}
	return netip.Addr{}, false
}

// walk reads the X-Forwarded-For lines (each a comma-separated list, the
// lines in the order received) from the right.
func (p Proxies) walk(lines []string) (netip.Addr, bool) {
	var last netip.Addr // the left-most trusted entry seen so far
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for rest != "" {
			entry := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				rest = ""
			}
			if strings.TrimSpace(entry) == "" {
				continue // "a,,b" or a trailing comma: nothing was appended here
			}
			a, err := parseEntry(entry)
			if err != nil {
				return netip.Addr{}, false
			}
			if !p.Trusts(a) {
				return a, true
			}
			last = a
		}
	}
	return last, last.IsValid()
}

// parseEntry reads one address as proxies write them: "192.0.2.1",
// "2001:db8::1", or with a port, "192.0.2.1:4711" and "[2001:db8::1]:4711".
func parseEntry(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), nil
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("clientaddr: %q is not an address", s)
	}
	return a.WithZone("").Unmap(), nil
}

// Host is the host part of a "host:port" address, or addr itself when it
// has no port.
func Host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
