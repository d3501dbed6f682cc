package auth

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	logins        *prometheus.CounterVec
	lockouts      *prometheus.CounterVec
	refreshes     *prometheus.CounterVec
	registrations *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_auth_logins_total",
			Help: "Password and guest logins by result (ok, bad_credentials, rate_limited, banned).",
		}, []string{"result"}),
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_auth_lockouts_total",
			Help: "Failed logins that locked out a client address or an account, by scope (ip, account).",
		}, []string{"scope"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_auth_refreshes_total",
			Help: "Refresh token uses by result (ok, invalid, reused).",
		}, []string{"result"}),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_auth_registrations_total",
			Help: "New accounts by kind (user, guest).",
		}, []string{"kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.logins, m.lockouts, m.refreshes, m.registrations)
	}
	return m
}
