package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// runHealth is `lordgame health [-url URL] [-ready] [-timeout D]`: it asks
// a running node's /healthz (or /readyz with -ready) and returns nil only
// on a 200 answer within the timeout. It is the container's health check
// (deploy/docker/Dockerfile): the image has no shell and no curl.
//
// Without -url it asks the local node on the port of -http, read from
// LORDGAME_HTTP as the server reads it (default :8080).
func runHealth(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lordgame health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "URL to ask (default: http://127.0.0.1:PORT/healthz, PORT from LORDGAME_HTTP or 8080)")
	ready := fs.Bool("ready", false, "ask /readyz (serving traffic) instead of /healthz (process alive)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: lordgame health [-url URL] [-ready] [-timeout D]\n\nExit status 0 when the node answers 200, 1 otherwise.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("health: unexpected argument %q", fs.Arg(0))
	}
	if *timeout <= 0 {
		return errors.New("health: -timeout must be positive")
	}
	target := *url
	if target == "" {
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		addr := getenv(envName("http"))
		if addr == "" {
			addr = defaultConfig().HTTP
		}
		u, err := localURL(addr, path)
		if err != nil {
			return err
		}
		target = u
	}
	text, err := askNode(ctx, http.MethodGet, target, *timeout)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	fmt.Fprintln(stdout, text)
	return nil
}

// askNode sends one request without a body to a node's probe or control
// endpoint and returns its answer's text; an answer other than 200 is an
// error naming the URL, the status and the text.
func askNode(ctx context.Context, method, target string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	text := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s answered %d %s", target, resp.StatusCode, text)
	}
	return text, nil
}

// localURL turns a listen address (":8080", "0.0.0.0:8080", "[::]:8080",
// "10.1.2.3:8080") into a URL on this machine: an unspecified or empty
// host is asked on loopback.
func localURL(listen, path string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("health: http address %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
