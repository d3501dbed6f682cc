package cluster

import (
	"fmt"
	"regexp"

	"github.com/nats-io/nats.go/micro"
)

// ServiceName is the name every node registers with the NATS service API
// (micro), so that `nats micro ls`, `$SRV.PING.lordgame`, `$SRV.INFO` and
// `$SRV.STATS` find the nodes, their endpoints and their request counts.
const ServiceName = "lordgame"

// Service is this node's registration with the NATS service API.
type Service struct {
	svc micro.Service
	n   *NATS
}

var semver = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// AddService registers this node (micro requires a semantic version;
// another version string is announced as 0.0.0-<version> where it fits).
// meta annotates it (node id, roles). Stop it with Stop.
func (n *NATS) AddService(version string, meta map[string]string) (*Service, error) {
	if !semver.MatchString(version) {
		version = "0.0.0-" + regexp.MustCompile(`[^0-9A-Za-z.-]`).ReplaceAllString(version, "-")
		if !semver.MatchString(version) {
			version = "0.0.0"
		}
	}
	svc, err := micro.AddService(n.nc, micro.Config{Name: ServiceName, Version: version, Metadata: meta,
		Description: "a LordGame node"})
	if err != nil {
		return nil, fmt.Errorf("cluster: service: %w", err)
	}
	return &Service{svc: svc, n: n}, nil
}

var endpointName = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Endpoint serves subject (no queue group: it is this node's own) through
// h, counted in the service's stats under name.
func (s *Service) Endpoint(name, subject string, h Handler) error {
	if !validSubject(subject, false) {
		return fmt.Errorf("endpoint %q: %w", subject, ErrBadSubject)
	}
	err := s.svc.AddEndpoint(endpointName.ReplaceAllString(name, "-"), micro.HandlerFunc(func(r micro.Request) {
		msg := NewMsg(r.Subject(), r.Reply(), Header(r.Headers()), r.Data(), func(hdr Header, data []byte) error {
			return r.Respond(data, micro.WithHeaders(micro.Headers(hdr)))
		})
		s.n.deliverMsg(h, msg)
	}), micro.WithEndpointSubject(subject), micro.WithEndpointQueueGroupDisabled())
	if err != nil {
		return fmt.Errorf("endpoint %s: %w", subject, err)
	}
	return nil
}

// Stop withdraws the registration and its endpoints.
func (s *Service) Stop() error { return s.svc.Stop() }
