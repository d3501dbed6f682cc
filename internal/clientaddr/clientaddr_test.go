package clientaddr_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/lordgame/lordgame/internal/clientaddr"
)

func mustParse(t *testing.T, list ...string) clientaddr.Proxies {
	t.Helper()
	p, err := clientaddr.ParseProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseProxies(t *testing.T) {
	tests := []struct {
		name    string
		list    []string
		want    string // String() of the result
		wantErr string
	}{
		{"empty", nil, "", ""},
		{"blank entries skipped", []string{" ", ""}, "", ""},
		{"cidrs", []string{"10.0.0.0/8", " 2001:db8::/32 "}, "10.0.0.0/8,2001:db8::/32", ""},
		{"bare addresses are one host", []string{"127.0.0.1", "::1"}, "127.0.0.1/32,::1/128", ""},
		{"host bits are masked", []string{"10.1.2.3/8"}, "10.0.0.0/8", ""},
		{"mapped v4 becomes v4", []string{"::ffff:10.0.0.0/104", "::ffff:127.0.0.1"}, "10.0.0.0/8,127.0.0.1/32", ""},
		{"bad prefix length", []string{"10.0.0.0/33"}, "", `"10.0.0.0/33" is not a CIDR`},
		{"short address", []string{"10.0.0/8"}, "", `"10.0.0/8" is not a CIDR`},
		{"hostname", []string{"proxy.internal"}, "", `"proxy.internal" is not a CIDR like 10.0.0.0/8 or an IP address`},
		{"zone", []string{"fe80::1%eth0"}, "", "is not a CIDR"},
		{"one bad entry fails all", []string{"10.0.0.0/8", "nope"}, "", `"nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := clientaddr.ParseProxies(tt.list)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseProxies(%q) err = %v, want it to contain %q", tt.list, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseProxies(%q): %v", tt.list, err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("ParseProxies(%q) = %q, want %q", tt.list, got, tt.want)
			}
			if p.Empty() != (tt.want == "") {
				t.Errorf("ParseProxies(%q).Empty() = %v", tt.list, p.Empty())
			}
		})
	}
}

func TestClient(t *testing.T) {
	trusted := []string{"10.0.0.0/8", "127.0.0.1", "2001:db8:f::/48"}
	tests := []struct {
		name    string
		trusted []string
		peer    string
		xff     []string // one X-Forwarded-For line each
		realIP  string
		want    string
	}{
		{"no headers", trusted, "10.0.0.5:4000", nil, "", "10.0.0.5"},
		{"untrusted peer: spoofed XFF ignored", trusted, "198.51.100.7:4000", []string{"1.2.3.4"}, "", "198.51.100.7"},
		{"untrusted peer: spoofed X-Real-IP ignored", trusted, "198.51.100.7:4000", nil, "1.2.3.4", "198.51.100.7"},
		{"nothing trusted: header ignored", nil, "10.0.0.5:4000", []string{"1.2.3.4"}, "", "10.0.0.5"},
		{"trusted peer, one hop", trusted, "10.0.0.5:4000", []string{"203.0.113.9"}, "", "203.0.113.9"},
		{"client prepends a lie", trusted, "10.0.0.5:4000", []string{"1.2.3.4, 203.0.113.9"}, "", "203.0.113.9"},
		{"chain of trusted proxies", trusted, "10.0.0.5:4000", []string{"1.2.3.4, 203.0.113.9, 10.1.1.1, 10.2.2.2"}, "", "203.0.113.9"},
		{"every hop trusted: left-most", trusted, "10.0.0.5:4000", []string{"10.9.9.9, 10.1.1.1"}, "", "10.9.9.9"},
		{"several header lines", trusted, "10.0.0.5:4000", []string{"1.2.3.4", "203.0.113.9, 10.1.1.1"}, "", "203.0.113.9"},
		{"later line wins", trusted, "10.0.0.5:4000", []string{"203.0.113.9", "198.51.100.1"}, "", "198.51.100.1"},
		{"XFF beats X-Real-IP", trusted, "10.0.0.5:4000", []string{"203.0.113.9"}, "198.51.100.1", "203.0.113.9"},
		{"X-Real-IP alone", trusted, "10.0.0.5:4000", nil, " 198.51.100.1 ", "198.51.100.1"},
		{"entries with ports", trusted, "10.0.0.5:4000", []string{"203.0.113.9:5555, 10.1.1.1:80"}, "", "203.0.113.9"},
		{"empty entries skipped", trusted, "10.0.0.5:4000", []string{"1.2.3.4,, 203.0.113.9 ,"}, "", "203.0.113.9"},
		{"IPv6 peer and client", trusted, "[2001:db8:f::1]:4000", []string{"2001:DB8:1::7"}, "", "2001:db8:1::7"},
		{"IPv6 with port and zone", trusted, "[2001:db8:f::1]:4000", []string{"[fe80::1%eth0]:99"}, "", "fe80::1"},
		{"IPv6 bracketed", trusted, "127.0.0.1:4000", []string{"[2001:db8:1::7]"}, "", "2001:db8:1::7"},
		{"mapped v4 peer is trusted", trusted, "[::ffff:127.0.0.1]:4000", []string{"::ffff:203.0.113.9"}, "", "203.0.113.9"},
		{"untrusted IPv6 peer", trusted, "[2001:db8:e::1]:4000", []string{"203.0.113.9"}, "", "2001:db8:e::1"},
		{"garbage where the client is: the peer", trusted, "10.0.0.5:4000", []string{"203.0.113.9, garbage"}, "", "10.0.0.5"},
		{"garbage left of the client is never read", trusted, "10.0.0.5:4000", []string{"<script>, 203.0.113.9"}, "", "203.0.113.9"},
		{"garbage X-Real-IP: the peer", trusted, "10.0.0.5:4000", nil, "unknown", "10.0.0.5"},
		{"only commas: the peer", trusted, "10.0.0.5:4000", []string{" , ,"}, "", "10.0.0.5"},
		{"hostname entry: the peer", trusted, "10.0.0.5:4000", []string{"client.example.com"}, "", "10.0.0.5"},
		{"peer without port", trusted, "10.0.0.5", []string{"203.0.113.9"}, "", "203.0.113.9"},
		{"unparsable peer", trusted, "@", []string{"203.0.113.9"}, "", "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.trusted...)
			r := &http.Request{RemoteAddr: tt.peer, Header: http.Header{}}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.realIP != "" {
				r.Header.Set("X-Real-IP", tt.realIP)
			}
			if got := p.Client(r); got != tt.want {
				t.Errorf("trusting %q, peer %q, X-Forwarded-For %q, X-Real-IP %q: Client = %q, want %q",
					tt.trusted, tt.peer, tt.xff, tt.realIP, got, tt.want)
			}
		})
	}
}

func TestTrusts(t *testing.T) {
	p := mustParse(t, "10.0.0.0/8", "::1")
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"10.255.0.1", true}, {"11.0.0.1", false}, {"::ffff:10.0.0.1", true}, {"::1", true}, {"::2", false},
	} {
		if got := p.Trusts(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Trusts(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// FuzzForwarded: no header makes Forwarded panic, and an untrusted peer
// never gets its headers believed.
func FuzzForwarded(f *testing.F) {
	f.Add("10.0.0.5:1", "1.2.3.4, 203.0.113.9", "")
	f.Add("10.0.0.5:1", "[2001:db8::1]:80,,", "::1")
	f.Add("198.51.100.7:1", "1.2.3.4", "5.6.7.8")
	p, err := clientaddr.ParseProxies([]string{"10.0.0.0/8"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, peer, xff, realIP string) {
		h := http.Header{}
		if xff != "" {
			h.Set("X-Forwarded-For", xff)
		}
		if realIP != "" {
			h.Set("X-Real-IP", realIP)
		}
		a, ok := p.Forwarded(peer, h)
		if !ok {
			return
		}
		pa, err := netip.ParseAddr(clientaddr.Host(peer))
		if err != nil || !p.Trusts(pa) {
			t.Fatalf("peer %q is not trusted, yet Forwarded gave %v", peer, a)
		}
		if !a.IsValid() {
			t.Fatalf("ok with an invalid address")
		}
	})
}
