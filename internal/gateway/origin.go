package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Origin checking of WebSocket upgrades (Config.AllowedOrigins). A browser
// sends the page's origin with every upgrade and lets any page open a
// WebSocket to any server, so without this check a page on another site
// could play as the user whose browser it runs in (cross-site WebSocket
// hijacking). Clients that are not browsers send no Origin and are not
// affected; the check cannot and does not try to stop them.
//
// The rules, first match wins:
//   - no Origin header: allowed (not a browser);
//   - "*" in the list: every origin allowed, "null" included;
//   - an empty list: the origin's host[:port] must be the request's Host
//     (same origin; behind a proxy, the proxy must pass Host on);
//   - otherwise the origin must equal an entry (scheme://host[:port],
//     compared case-insensitively), or match an entry of the form
//     scheme://*.example.com (any subdomain, not example.com itself);
//   - "null" (sandboxed frames, file: pages) only when listed as "null".
type originPolicy struct {
	any   bool
	exact map[string]bool  // normalised origins, "null" included
	wild  []wildcardOrigin // scheme://*.suffix
}

type wildcardOrigin struct{ scheme, suffix string } // suffix starts with "."

func parseOrigins(list []string) (originPolicy, error) {
	p := originPolicy{exact: map[string]bool{}}
	for _, o := range list {
		o = strings.TrimSpace(o)
		switch {
		case o == "*":
			p.any = true
			continue
		case o == "null":
			p.exact["null"] = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return p, fmt.Errorf("gateway: allowed_origins: %q: want scheme://host[:port] (http or https, no path), scheme://*.domain, null or *", o)
		}
		host := strings.ToLower(u.Host)
		if rest, ok := strings.CutPrefix(host, "*."); ok {
			if rest == "" || strings.Contains(rest, "*") {
				return p, fmt.Errorf("gateway: allowed_origins: %q: a wildcard must be a leading *. before a domain", o)
			}
			p.wild = append(p.wild, wildcardOrigin{u.Scheme, "." + rest})
			continue
		}
		if strings.Contains(host, "*") {
			return p, fmt.Errorf("gateway: allowed_origins: %q: a wildcard must be a leading *. before a domain", o)
		}
		p.exact[u.Scheme+"://"+host] = true
	}
	return p, nil
}

// allow reports whether an upgrade from origin (the Origin header, "" when
// absent) to a request for host may proceed.
func (p originPolicy) allow(origin, host string) bool {
	if origin == "" || p.any {
		return true
	}
	if origin == "null" {
		return p.exact["null"]
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	oh := strings.ToLower(u.Host)
	if len(p.exact) == 0 && len(p.wild) == 0 {
		return oh == strings.ToLower(host)
	}
	if p.exact[strings.ToLower(u.Scheme)+"://"+oh] {
		return true
	}
	hostOnly := strings.ToLower(u.Hostname())
	for _, w := range p.wild {
		if strings.EqualFold(u.Scheme, w.scheme) && strings.HasSuffix(hostOnly, w.suffix) && len(hostOnly) > len(w.suffix) {
			return true
		}
	}
	return false
}

// refuseOrigin answers a refused upgrade with the API's JSON error body.
func refuseOrigin(w http.ResponseWriter, origin string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"code":    "forbidden",
		"message": fmt.Sprintf("origin %q may not open a WebSocket here (allowed_origins)", origin),
	})
}
