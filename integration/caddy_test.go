package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// caddyServer is one running Caddy process, started with a generated
// Caddyfile on free loopback ports.
type caddyServer struct {
	// URL is the site's base URL, without a trailing slash.
	URL string

	port      int
	adminPort int
	logPath   string
	cmd       *exec.Cmd
	exited    chan struct{}
}

// caddyOptions shape the generated Caddyfile.
type caddyOptions struct {
	// port is the site's port; 0 picks a free one.
	port int

	// site is the body of the site block: the cms_webhooks directive and
	// the reverse_proxy behind it.
	site string

	// global holds extra lines for the global options block, such as
	// metrics.
	global string

	// env is added to the process environment, for {env.*} placeholders.
	env []string
}

// caddyfileFor returns a complete Caddyfile: global options that keep Caddy
// on loopback and out of the user's folders, and one plain-HTTP site.
func caddyfileFor(port, adminPort int, site string) string {
	return caddyfileWith(port, adminPort, "", site)
}

// caddyfileWith is caddyfileFor with extra lines in the global options.
func caddyfileWith(port, adminPort int, global, site string) string {
	if global != "" {
		global = indent(global, "\t") + "\n"
	}
	return fmt.Sprintf(`{
	admin 127.0.0.1:%d
	auto_https off
	http_port %d
	persist_config off
	grace_period 2s
%s}

http://:%d {
	bind 127.0.0.1
%s
}
`, adminPort, port, global, port, indent(site, "\t"))
}

// sidecarSite returns a site body with the given cms_webhooks block in front
// of the test's WordPress.
func sidecarSite(w *wordPress, cmsWebhooks string) string {
	return fmt.Sprintf("cms_webhooks {\n%s\n}\nreverse_proxy 127.0.0.1:%d", indent(cmsWebhooks, "\t"), w.port)
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// startCaddy runs caddy with a generated Caddyfile and waits until the
// site accepts connections. The process is stopped at the test's cleanup,
// and its log is printed when the test failed.
func startCaddy(t *testing.T, opts caddyOptions) *caddyServer {
	t.Helper()
	dir := t.TempDir()
	c := &caddyServer{port: opts.port, adminPort: freePort(t), exited: make(chan struct{})}
	if c.port == 0 {
		c.port = freePort(t)
	}
	c.URL = fmt.Sprintf("http://127.0.0.1:%d", c.port)
	c.logPath = filepath.Join(dir, "caddy.log")

	config := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(config, []byte(caddyfileWith(c.port, c.adminPort, opts.global, opts.site)), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		t.Fatal(err)
	}

	c.cmd = exec.Command(caddyBin, "run", "--config", config, "--adapter", "caddyfile")
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	// Caddy's data and config folders stay inside the test's folder.
	c.cmd.Env = append(os.Environ(),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
	)
	c.cmd.Env = append(c.cmd.Env, opts.env...)
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", caddyBin, err)
	}
	go func() {
		_ = c.cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			t.Logf("Caddyfile:\n%s", caddyfileWith(c.port, c.adminPort, opts.global, opts.site))
			t.Logf("caddy log (%s):\n%s", c.logPath, c.log())
		}
	})

	if err := c.waitReady(15 * time.Second); err != nil {
		t.Fatalf("caddy did not start: %v\ncaddy log:\n%s", err, c.log())
	}
	return c
}

// waitReady polls the admin API and the site's port until both respond.
func (c *caddyServer) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("caddy exited: %v", c.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/config/", c.adminPort))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", c.port), time.Second)
				if err == nil {
					conn.Close()
					return nil
				}
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s waiting for admin port %d and site port %d", timeout, c.adminPort, c.port)
}

// stop sends SIGTERM, which makes Caddy shut down gracefully, and kills
// the process if it is still running 20 s later.
func (c *caddyServer) stop(t *testing.T) {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Errorf("caddy did not stop within 20s of SIGTERM; killing it")
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

func (c *caddyServer) log() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return string(b)
}

// runCaddy runs a caddy subcommand (adapt, validate) and returns its
// combined output and exit error.
func runCaddy(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, caddyBin, args...)
	cmd.Dir = repoRoot
	dir := t.TempDir()
	cmd.Env = append(append(os.Environ(),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
	), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
