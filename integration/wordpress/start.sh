#!/usr/bin/env bash
# Start a throwaway WordPress (Debian package) with a private MariaDB, on 127.0.0.1 only.
#
# Environment:
#   WP_DIR                  instance folder (default: a fresh folder from mktemp under /tmp)
#   WP_PORT                 port of the php -S server on 127.0.0.1 (default 8081)
#   WP_URL                  site URL stored in WordPress, e.g. the sidecar proxy URL
#                           (default http://127.0.0.1:$WP_PORT)
#   PHP_CLI_SERVER_WORKERS  php -S worker processes (default 4)
#   WP_START_TIMEOUT        seconds to wait for each step (default 60)
#
# Writes into WP_DIR: db/ (MariaDB datadir), mysql.sock, mariadb.pid, www/ (WordPress copy),
# router.php, setup.php, php.pid, the logs, creds.txt (lines "login:application-password")
# and wp.env (shell variables for tests). Stop it with stop.sh WP_DIR.
# Packages are not installed here: run .ci/install-deps.sh (as root) first.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${WP_PORT:-8081}
URL=${WP_URL:-http://127.0.0.1:$PORT}
WORKERS=${PHP_CLI_SERVER_WORKERS:-4}
TIMEOUT=${WP_START_TIMEOUT:-60}

die() { echo "wordpress/start.sh: $*" >&2; exit 1; }

case "$PORT" in ''|*[!0-9]*) die "invalid WP_PORT '$PORT': expected a port number" ;; esac
case "$URL" in http://*|https://*) ;; *) die "invalid WP_URL '$URL': expected http://HOST:PORT or https://..." ;; esac

# --- Preconditions: the packages that .ci/install-deps.sh installs ---
missing=()
[ -x /usr/sbin/mariadbd ] || missing+=("mariadbd (mariadb-server)")
command -v mariadb-install-db >/dev/null || missing+=("mariadb-install-db (mariadb-server)")
command -v mariadb >/dev/null || missing+=("mariadb client (mariadb-server)")
command -v php >/dev/null || missing+=("php (php-cli)")
command -v curl >/dev/null || missing+=("curl")
[ -f /usr/share/wordpress/wp-settings.php ] || missing+=("/usr/share/wordpress (wordpress)")
if command -v php >/dev/null; then
  for ext in mysqli curl mbstring dom; do
    php -r "exit(extension_loaded('$ext') ? 0 : 1);" || missing+=("php extension $ext")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'wordpress/start.sh: missing: %s\n' "${missing[@]}" >&2
  die "install the packages first: sudo bash .ci/install-deps.sh (from the repository root)"
fi

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pidof_file() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

if [ -n "${WP_DIR:-}" ] && { alive "$(pidof_file "$WP_DIR/php.pid")" || alive "$(pidof_file "$WP_DIR/mariadb.pid")"; }; then
  die "an instance is already running in $WP_DIR; stop it first: bash $HERE/stop.sh $WP_DIR"
fi

# Reject a port that already has a listener on any address. /proc is read, so no traffic is sent.
port_hex=$(printf '%04X' "$PORT")
if cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$port_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }'; then
  die "port $PORT is already in use; set WP_PORT to a free port"
fi

if [ -n "${WP_DIR:-}" ]; then
  mkdir -p "$WP_DIR"
  DIR=$(cd "$WP_DIR" && pwd)
else
  DIR=$(mktemp -d /tmp/wp-XXXXXX)
fi
SOCK=$DIR/mysql.sock
# A unix socket path has at most 107 bytes.
[ "${#SOCK}" -le 100 ] || die "WP_DIR is too long for a unix socket path ($SOCK); use a shorter one"

cd "$DIR"
START=$(date +%s)
STARTED_PIDS=()

on_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] && return
  echo "wordpress/start.sh: FAILED (exit $rc) after $(( $(date +%s) - START ))s; log tails from $DIR:" >&2
  local log
  for log in install-db.log mariadb.err setup.log php.log; do
    [ -s "$DIR/$log" ] || continue
    # The install log matters only when the datadir was not created.
    [ "$log" = install-db.log ] && [ -d "$DIR/db/mysql" ] && continue
    echo "----- $log (last 30 lines) -----" >&2
    tail -n 30 "$DIR/$log" >&2
  done
  # Do not leave half-started servers behind.
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    if alive "$pid"; then
      pkill -TERM -P "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
}
trap on_exit EXIT

deadline() { echo $(( $(date +%s) + TIMEOUT )); }

# --- MariaDB: private datadir and unix socket, no TCP ---
if [ ! -d db/mysql ]; then
  rm -rf db
  mariadb-install-db --no-defaults --datadir="$DIR/db" --user=root \
    --auth-root-authentication-method=normal --skip-test-db >install-db.log 2>&1 \
    || die "mariadb-install-db failed (see install-db.log)"
fi
rm -f "$SOCK" mariadb.pid
/usr/sbin/mariadbd --no-defaults --datadir="$DIR/db" --socket="$SOCK" --pid-file="$DIR/mariadb.pid" \
  --skip-networking --user=root --innodb-buffer-pool-size=64M --log-error="$DIR/mariadb.err" \
  </dev/null >/dev/null 2>&1 &
DB_PID=$!
STARTED_PIDS+=("$DB_PID")

sql() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }
end=$(deadline)
until [ -S "$SOCK" ] && sql -e 'SELECT 1' >/dev/null 2>&1; do
  alive "$DB_PID" || die "mariadbd exited during startup (see mariadb.err)"
  [ "$(date +%s)" -lt "$end" ] || die "timed out after ${TIMEOUT}s waiting for MariaDB on $SOCK (see mariadb.err)"
  sleep 0.1
done
sql -e "CREATE DATABASE IF NOT EXISTS wordpress;
  CREATE USER IF NOT EXISTS 'wp'@'localhost' IDENTIFIED BY 'wp';
  GRANT ALL ON wordpress.* TO 'wp'@'localhost';" || die "creating the wordpress database failed"

# --- WordPress: private copy of the Debian tree, so that wp-config.php and wp-content are ours ---
# Debian's own wp-config.php reads /etc/wordpress/config-<host>.php, so the copy gets our own instead.
if [ ! -f www/wp-settings.php ]; then
  rm -rf www
  cp -a /usr/share/wordpress www
fi
salt() { php -r 'echo bin2hex(random_bytes(24));'; }
if [ ! -f salts.php ]; then
  {
    echo '<?php'
    for key in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
      echo "define('$key', '$(salt)');"
    done
  } >salts.php
fi
rm -f www/wp-config.php
cat >www/wp-config.php <<EOF
<?php
// Written by integration/wordpress/start.sh for a throwaway test site.
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp');
define('DB_HOST', 'localhost:$SOCK');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
require __DIR__ . '/../salts.php';
define('WP_ENVIRONMENT_TYPE', 'local');  // application passwords over plain http
define('WP_DEBUG', false);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);   // WordPress itself makes no outbound requests
\$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
EOF
mkdir -p www/wp-content/mu-plugins
cat >www/wp-content/mu-plugins/no-mail.php <<'EOF'
<?php
// Throwaway test site: never send mail (there is no sendmail here).
function wp_mail() { return true; }
EOF

cat >router.php <<'EOF'
<?php
// Router for php -S: real files and folders with an index.php are served as they are,
// everything else goes to WordPress' index.php (pretty permalinks, /wp-json/).
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
$f = $_SERVER['DOCUMENT_ROOT'] . $path;
if ($path !== '/' && (is_file($f) || (is_dir($f) && is_file(rtrim($f, '/') . '/index.php')))) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
EOF

cat >setup.php <<'EOF'
<?php
// php setup.php URL: install the site, pretty permalinks, one user per role with a fresh
// application password each. Prints "login:application-password" lines on stdout.
if ($argc < 2) { fwrite(STDERR, "usage: php setup.php URL\n"); exit(2); }
$url = rtrim($argv[1], '/');
$host = parse_url($url, PHP_URL_HOST);
$port = parse_url($url, PHP_URL_PORT);
$_SERVER['HTTP_HOST'] = $port ? "$host:$port" : $host;
$_SERVER['SERVER_NAME'] = $host;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
define('WP_INSTALLING', true);
require __DIR__ . '/www/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (!is_blog_installed()) {
    $r = wp_install('Sidecar Demo', 'admin', 'admin@example.test', false, '', 'admin-pass-123');
    if (empty($r['user_id'])) { fwrite(STDERR, "wp_install failed\n"); exit(1); }
}
update_option('siteurl', $url);
update_option('home', $url);
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
flush_rewrite_rules(false);
if (!wp_is_application_passwords_available()) {
    fwrite(STDERR, "application passwords are not available (WP_ENVIRONMENT_TYPE?)\n"); exit(1);
}
$roles = ['admin' => 'administrator', 'editor' => 'editor', 'author' => 'author', 'contributor' => 'contributor'];
foreach ($roles as $login => $role) {
    $u = get_user_by('login', $login);
    if ($u) {
        $id = $u->ID;
        if (!in_array($role, (array) $u->roles, true)) { $u->set_role($role); }
    } else {
        $id = wp_insert_user(['user_login' => $login, 'user_pass' => "$login-pass-123",
            'user_email' => "$login@example.test", 'role' => $role]);
        if (is_wp_error($id)) { fwrite(STDERR, "user $login: " . $id->get_error_message() . "\n"); exit(1); }
    }
    WP_Application_Passwords::delete_all_application_passwords($id);
    $r = WP_Application_Passwords::create_new_application_password($id, ['name' => 'sidecar-tests']);
    if (is_wp_error($r)) { fwrite(STDERR, "app password $login: " . $r->get_error_message() . "\n"); exit(1); }
    echo "$login:{$r[0]}\n";
}
EOF

timeout "$TIMEOUT" php setup.php "$URL" >creds.txt.new 2>setup.log || die "setup.php failed (site install, users or application passwords)"
[ "$(grep -c ':' creds.txt.new)" -eq 4 ] || die "setup.php printed fewer or more than four credentials (see creds.txt.new)"
mv creds.txt.new creds.txt

# --- php -S on loopback only ---
rm -f php.pid
PHP_CLI_SERVER_WORKERS=$WORKERS php -d display_errors=0 -d log_errors=1 \
  -S "127.0.0.1:$PORT" -t "$DIR/www" "$DIR/router.php" </dev/null >php.log 2>&1 &
PHP_PID=$!
STARTED_PIDS+=("$PHP_PID")
echo "$PHP_PID" >php.pid

end=$(deadline)
until curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/wp-json/" 2>/dev/null; do
  alive "$PHP_PID" || die "php -S exited during startup (see php.log)"
  [ "$(date +%s)" -lt "$end" ] || die "timed out after ${TIMEOUT}s waiting for a 2xx from http://127.0.0.1:$PORT/wp-json/"
  sleep 0.1
done

cat >wp.env <<EOF
WP_DIR=$DIR
WP_PORT=$PORT
WP_URL=$URL
WP_LOCAL_URL=http://127.0.0.1:$PORT
EOF

echo "WordPress is up on http://127.0.0.1:$PORT (site URL $URL) after $(( $(date +%s) - START ))s"
echo "credentials (login:application-password): $DIR/creds.txt"
echo "stop: bash $HERE/stop.sh $DIR"
