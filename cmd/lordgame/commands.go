package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/lordgame/lordgame/internal/admin"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/store"
)

// runMigrate is `lordgame migrate up|down|status [flags]`: -db and -data
// (or their environment variables) choose the database.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return errors.New("usage: lordgame migrate up|down|status [-db URL] [-data DIR]")
	}
	cfg, _, err := loadConfig(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	return store.MigrateCommand(ctx, cfg.DB, cfg.Data, args[:1], stdout)
}

// runAdmin is `lordgame admin grant USERNAME [ROLE] [flags]`: it gives an
// existing account a console role (admin, operator or viewer; admin when
// omitted), replacing any other console role it had.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: lordgame admin grant USERNAME [admin|operator|viewer] [-db URL] [-data DIR]"
	if len(args) < 2 || args[0] != "grant" {
		return errors.New(usage)
	}
	role, rest := admin.RoleAdmin, args[2:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		role, rest = rest[0], rest[1:]
	}
	if !slices.Contains(admin.Roles, role) {
		return fmt.Errorf("lordgame admin grant: unknown role %q: want admin, operator or viewer", role)
	}
	cfg, _, err := loadConfig(rest, getenv, stderr)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, cfg.Data)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer db.Close()
	if err := grantRole(ctx, db, args[1], role); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is now %s\n", args[1], role)
	return nil
}

// grantRole makes role the only console role of the account username.
func grantRole(ctx context.Context, db *store.DB, username, role string) error {
	a, err := db.AccountByUsername(ctx, username)
	if err != nil {
		return fmt.Errorf("grant %s to %q: %w", role, username, err)
	}
	roles := slices.DeleteFunc(slices.Clone(a.Roles), func(r string) bool { return slices.Contains(admin.Roles, r) })
	return db.SetRoles(ctx, a.ID, append(roles, role))
}

// runCluster is `lordgame cluster nodes [-nats URL] [-nats-prefix P]`: it
// prints the live nodes of the cluster as JSON.
func runCluster(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "nodes" {
		return errors.New("usage: lordgame cluster nodes [-nats URL] [-nats-prefix PREFIX]")
	}
	cfg, _, err := loadConfig(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Cluster.URL == "" {
		return errors.New("lordgame cluster nodes: set -nats to the cluster's NATS URL")
	}
	bus, err := cluster.Connect(ctx, cfg.Cluster.URL, cfg.Cluster, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer bus.Close()
	nodes, err := cluster.Nodes(ctx, bus)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"nodes": nodesJSON(nodes)})
}
