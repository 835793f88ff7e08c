package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// cmdHealthcheck probes a URL and fails unless it answers 200; container
// images without curl use it for their health checks.
func cmdHealthcheck(ctx context.Context, args []string, e env) error {
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "Usage: trustlens healthcheck URL\n\nExit 0 when URL answers 200 within 5 s (for container health checks).")
		if len(args) == 1 {
			return errHelp
		}
		return fmt.Errorf("healthcheck: expected one URL argument")
	}
	u, err := url.Parse(args[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("healthcheck: not an http(s) URL: %q", args[0])
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", u, resp.Status)
	}
	return nil
}
