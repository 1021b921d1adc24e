package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// caddyBin is the Caddy binary under test: $CADDY_BIN (relative to the
// repository root), or one built by TestMain.
var caddyBin string

// repoRoot is the folder that contains go.mod.
var repoRoot string

// wpFiles and wpCommands are what integration/wordpress/start.sh needs on
// the machine, as .ci/install-deps.sh installs them.
var (
	wpFiles    = []string{"/usr/sbin/mariadbd", "/usr/share/wordpress/wp-settings.php"}
	wpCommands = []string{"mariadb-install-db", "mariadb", "php", "curl"}
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	repoRoot = root

	caddyBin = os.Getenv("CADDY_BIN")
	if caddyBin == "" {
		dir, err := os.MkdirTemp("", "cms-webhooks-caddy-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		caddyBin = filepath.Join(dir, "caddy")
		if err := buildCaddy(caddyBin); err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
			return 1
		}
	} else {
		// go test runs the package in its own folder, so a relative
		// path is read from the repository root, where one would type it.
		if !filepath.IsAbs(caddyBin) {
			caddyBin = filepath.Join(repoRoot, caddyBin)
		}
		if _, err := os.Stat(caddyBin); err != nil {
			fmt.Fprintf(os.Stderr, "integration: invalid CADDY_BIN: %v; build it with: go run ./internal/buildcaddy\n", err)
			return 1
		}
	}

	if missing := missingPackages(); len(missing) > 0 {
		msg := "WordPress packages missing (" + strings.Join(missing, ", ") + "); run .ci/install-deps.sh as root"
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "integration:", msg)
			return 1
		}
		wpSkipReason = msg + "; the tests that need WordPress are skipped"
		fmt.Fprintln(os.Stderr, "integration:", wpSkipReason)
	}

	code := m.Run()
	if wp != nil {
		wp.stop()
	}
	return code
}

// findRepoRoot walks up from the package folder to the go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test folder")
		}
		dir = parent
	}
}

// buildCaddy builds the distribution of xcaddy.json into out.
func buildCaddy(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./internal/buildcaddy", "-o", out)
	cmd.Dir = repoRoot
	output, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building caddy with go run ./internal/buildcaddy: %v\n%s", err, output)
	}
	return nil
}

func missingPackages() []string {
	var missing []string
	for _, p := range wpFiles {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	for _, c := range wpCommands {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	return missing
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	port, err := loopbackPort()
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	return port
}

// loopbackPort returns a port that is free on 127.0.0.1 now. It picks
// below Linux's default ephemeral range (32768-60999): a port taken from
// that range is handed out again as the source port of outgoing
// connections, so a server that binds it later, as Caddy does, can find it
// in use.
func loopbackPort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if portsGiven[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		portsGiven[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("no free port in 20000-31999 after 200 tries")
}

// portsGiven are the ports loopbackPort handed out, never handed out
// twice, so that two servers of one run cannot be given the same port
// before either binds it.
var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// wordPress is the one WordPress of the package.
type wordPress struct {
	dir string

	// port is where php -S listens; directURL reaches WordPress without
	// the sidecar.
	port      int
	directURL string

	// proxyPort is the port of the site URL that WordPress was installed
	// with: the sidecar's address in the deployment story.
	proxyPort int

	// creds maps a role (admin, editor, author, contributor) to
	// "login:application-password".
	creds map[string]string
}

var (
	wp           *wordPress
	wpOnce       sync.Once
	wpErr        error
	wpSkipReason string
)

// needWordPress starts the package's WordPress on first use and returns it,
// so that tests without WordPress run without its start-up; TestMain stops
// it. It skips the test when the WordPress packages are missing outside CI.
func needWordPress(t *testing.T) *wordPress {
	t.Helper()
	if wpSkipReason != "" {
		t.Skip(wpSkipReason)
	}
	wpOnce.Do(func() { wp, wpErr = startWordPress() })
	if wpErr != nil {
		t.Fatalf("starting WordPress: %v", wpErr)
	}
	return wp
}

func startWordPress() (*wordPress, error) {
	// A short folder name, because MariaDB's unix socket lives in it.
	dir, err := os.MkdirTemp("", "itwp-")
	if err != nil {
		return nil, err
	}
	w := &wordPress{dir: dir}
	if w.port, err = loopbackPort(); err != nil {
		return nil, err
	}
	if w.proxyPort, err = loopbackPort(); err != nil {
		return nil, err
	}
	w.directURL = fmt.Sprintf("http://127.0.0.1:%d", w.port)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot, "integration", "wordpress", "start.sh"))
	cmd.Env = append(os.Environ(),
		"WP_DIR="+dir,
		fmt.Sprintf("WP_PORT=%d", w.port),
		fmt.Sprintf("WP_URL=http://127.0.0.1:%d", w.proxyPort),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("integration/wordpress/start.sh failed (instance folder %s kept): %v\n%s", dir, err, out)
	}
	// From here on w is returned even with an error, so that TestMain
	// stops it.
	raw, err := os.ReadFile(filepath.Join(dir, "creds.txt"))
	if err != nil {
		return w, err
	}
	w.creds = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		login, _, ok := strings.Cut(line, ":")
		if ok {
			w.creds[login] = line
		}
	}
	for _, role := range []string{"admin", "editor", "author", "contributor"} {
		if w.creds[role] == "" {
			return w, fmt.Errorf("creds.txt has no line for %s:\n%s", role, raw)
		}
	}
	return w, nil
}

func (w *wordPress) stop() {
	cmd := exec.Command("bash", filepath.Join(repoRoot, "integration", "wordpress", "stop.sh"), w.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: stopping WordPress: %v\n%s", err, out)
		return
	}
	os.RemoveAll(w.dir)
}
