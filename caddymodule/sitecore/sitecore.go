// Package sitecore classifies the content-management traffic of Sitecore XM
// 10.3 and later: the Sitecore Services Client ItemService REST API, the
// Authoring and Management GraphQL API, the Pages (Horizon) GraphQL
// endpoint and the legacy /sitecore/api/graph endpoint.
//
// GraphQL documents are read with a GraphQL parser, so aliases, several
// mutations in one document, several operations with operationName,
// variables, fragments and batched request arrays are all understood. An
// item id matches in any of Sitecore's spellings, and paths match without
// regard to case, as IIS routes them.
package sitecore

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// Config adapts the classifier to a Sitecore instance.
type Config struct {
	// ItemServicePath is the root of the ItemService routes.
	// Default: "/sitecore/api/ssc/item".
	ItemServicePath string `json:"item_service_path,omitempty"`

	// AuthoringPath is the Authoring and Management GraphQL endpoint.
	// Default: "/sitecore/api/authoring/graphql/v1".
	AuthoringPath string `json:"authoring_path,omitempty"`

	// PagesPath is the GraphQL endpoint of the Pages editor, whose
	// mutations name their arguments differently.
	// Default: "/sitecore/api/ssc/horizon/query".
	PagesPath string `json:"pages_path,omitempty"`

	// LegacyGraphQLPath is the prefix of the legacy GraphQL endpoints,
	// followed by the database. Default: "/sitecore/api/graph/items".
	LegacyGraphQLPath string `json:"legacy_graphql_path,omitempty"`

	// ShellPath is the root of the classic editors' pages, whose Sheer UI
	// postbacks carry the Content Editor's and the Workbox's workflow
	// commands. Default: "/sitecore/shell/".
	ShellPath string `json:"shell_path,omitempty"`

	// WorkflowMessages adds Sheer UI messages that run a workflow command,
	// by name, to the built-in ones (item:workflow,
	// webedit:workflowwithdatasourceitems, workflow:send,
	// workflow:sendselected and workflow:sendall), for modules that
	// register their own, such as Worxbox's item:compositeworkflow. An
	// entry with a built-in name replaces it.
	WorkflowMessages map[string]WorkflowMessage `json:"workflow_messages,omitempty"`

	// DatasourceItems makes the Experience Editor's workflow command
	// (webedit:workflowwithdatasourceitems), which Sitecore also runs on
	// the data-source items of the page's renderings that are in a state
	// offering the command, validate and fire for those items too. Their
	// ids are read from the page's layout fields before forwarding.
	// Default: the page item only.
	DatasourceItems bool `json:"datasource_items,omitempty"`

	// SessionCookies are the cookies that identify an editor's session,
	// so that the continuation of a dialog is matched with the command of
	// the same editor. Default: .AspNet.Cookies, ASP.NET_SessionId and
	// .ASPXAUTH.
	SessionCookies []string `json:"session_cookies,omitempty"`

	// DialogTimeout is how long a command that opened a dialog waits for
	// its continuation; a later continuation is not recognized and passes
	// unvalidated. Default: 30m.
	DialogTimeout caddy.Duration `json:"dialog_timeout,omitempty"`

	// WorkboxBulkComment is set where the Workbox prompts for one comment
	// before a bulk command ("send selected", "send all"), as Sitecore's
	// setting Workbox.WorkBoxSingleCommentForBulkOperation makes it do.
	// The command then runs, and is validated with the comment, in the
	// continuation. Default: off, as in Sitecore; the command runs in the
	// first request.
	WorkboxBulkComment bool `json:"workbox_bulk_comment,omitempty"`

	// BlockSendAll refuses the Workbox's "send all" when its command has
	// validation actions, rather than reading the items of its state from
	// the content search index, which may lag behind. Default: off.
	BlockSendAll bool `json:"block_send_all,omitempty"`

	// ValidateOnFirstRequest calls the validation actions of a classic
	// editor's workflow command on the request that opens its dialog,
	// with empty Comments, instead of on the continuation that runs it.
	// A continuation that the sidecar does not recognize (after a
	// restart or the dialog timeout, or behind several proxies without
	// sticky sessions) then cannot run an unvalidated command. Default:
	// off.
	ValidateOnFirstRequest bool `json:"validate_on_first_request,omitempty"`

	// SpeakPath is the root of the Experience Editor's SPEAK requests.
	// Default: "/-/speak/request/v1/expeditor/".
	SpeakPath string `json:"speak_path,omitempty"`

	// SearchIndex is the content search index that the items of a
	// workflow state are read from, for the Workbox's "send all",
	// through the Authoring API. Default: "sitecore_master_index".
	SearchIndex string `json:"search_index,omitempty"`

	// UserClaim is the claim of the bearer token (a JWT) that holds the
	// user name sent as UserName, such as "sitecore\editor". The token is
	// read, not verified: the CMS verifies it. Default: "name".
	UserClaim string `json:"user_claim,omitempty"`
}

// WorkflowMessage names the parameters of a Sheer UI message that runs a
// workflow command on one item.
type WorkflowMessage struct {
	// ID, Language, Version and Command are the parameter names of the
	// item id, language, version and command id. Defaults: "id",
	// "language", "version" and "commandid", as item:workflow names them.
	ID       string `json:"id,omitempty"`
	Language string `json:"language,omitempty"`
	Version  string `json:"version,omitempty"`
	Command  string `json:"command,omitempty"`

	// AsksToSave is set when the command first asks to save unsaved
	// edits, as the Content Editor's commands do, so that a request with
	// unsaved edits runs the command only in a continuation.
	AsksToSave bool `json:"asks_to_save,omitempty"`
}

// Classifier reads Sitecore requests and responses.
type Classifier struct {
	cfg      Config
	dialogs  *Dialogs
	messages map[string]workflowKeys
}

// New returns a classifier for the configuration.
func New(cfg Config, opts ...Option) *Classifier {
	def := func(v *string, d string) {
		*v = strings.TrimRight(*v, "/")
		if *v == "" {
			*v = d
		}
	}
	def(&cfg.ItemServicePath, "/sitecore/api/ssc/item")
	def(&cfg.AuthoringPath, "/sitecore/api/authoring/graphql/v1")
	def(&cfg.PagesPath, "/sitecore/api/ssc/horizon/query")
	def(&cfg.LegacyGraphQLPath, "/sitecore/api/graph/items")
	if len(cfg.SessionCookies) == 0 {
		cfg.SessionCookies = defaultSessionCookies
	}
	if cfg.DialogTimeout <= 0 {
		cfg.DialogTimeout = caddy.Duration(defaultDialogTimeout)
	}
	if cfg.SearchIndex == "" {
		cfg.SearchIndex = DefaultSearchIndex
	}
	if cfg.UserClaim == "" {
		cfg.UserClaim = "name"
	}
	if cfg.ShellPath == "" {
		cfg.ShellPath = "/sitecore/shell/"
	}
	if cfg.SpeakPath == "" {
		cfg.SpeakPath = DefaultSpeakRequestPath
	}
	if !strings.HasSuffix(cfg.SpeakPath, "/") {
		// The request name follows the path after a slash.
		cfg.SpeakPath += "/"
	}
	messages := map[string]workflowKeys{}
	for name, keys := range workflowMessages {
		messages[name] = keys
	}
	for name, m := range cfg.WorkflowMessages {
		k := workflowKeys{id: m.ID, language: m.Language, version: m.Version, command: m.Command, checksModified: m.AsksToSave}
		def := func(v *string, d string) {
			if *v == "" {
				*v = d
			}
		}
		def(&k.id, "id")
		def(&k.language, "language")
		def(&k.version, "version")
		def(&k.command, "commandid")
		messages[strings.ToLower(name)] = k
	}
	c := &Classifier{cfg: cfg, dialogs: NewDialogs(), messages: messages}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Option changes how New builds a classifier.
type Option func(*Classifier)

// WithDialogs makes the classifier track the classic editors' dialogs in
// d, which may outlive it: a Caddy reload then keeps following the dialogs
// that are open.
func WithDialogs(d *Dialogs) Option {
	return func(c *Classifier) { c.dialogs = d }
}

// NewDialogs returns an empty tracker of dialogs.
func NewDialogs() *Dialogs {
	return &Dialogs{pending: map[string][]*trackedFlow{}}
}

// api names the API family of a request.
type api int

const (
	apiNone api = iota
	apiItemService
	apiAuthoring
	apiPages
	apiLegacy
	apiShell
	apiSpeak
)

// apiOf returns the API family of a request by its method and path.
func (c *Classifier) apiOf(r *http.Request) (api, string) {
	// IIS resolves dot segments and repeated slashes before it routes,
	// so the path is matched as IIS will read it.
	p := cleanPath(r.URL.Path)
	if rest, ok := cutPrefixFold(p, c.cfg.ItemServicePath); ok && (rest == "" || rest[0] == '/') {
		switch r.Method {
		case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
			return apiItemService, rest
		}
		return apiNone, ""
	}
	if r.Method != http.MethodPost {
		// The GraphQL endpoints and the classic editors take writes by
		// POST only.
		return apiNone, ""
	}
	if _, ok := cutPrefixFold(p, c.cfg.ShellPath); ok {
		return apiShell, ""
	}
	if name, ok := SpeakRequestName(c.cfg.SpeakPath, p); ok {
		return apiSpeak, name
	}
	switch {
	case strings.EqualFold(strings.TrimRight(p, "/"), c.cfg.AuthoringPath):
		return apiAuthoring, ""
	case strings.EqualFold(strings.TrimRight(p, "/"), c.cfg.PagesPath):
		return apiPages, ""
	}
	if rest, ok := cutPrefixFold(p, c.cfg.LegacyGraphQLPath+"/"); ok && rest != "" && !strings.Contains(strings.TrimRight(rest, "/"), "/") {
		return apiLegacy, ""
	}
	return apiNone, ""
}

// cleanPath resolves dot segments and repeated slashes, keeping a trailing
// slash.
func cleanPath(p string) string {
	if p == "" {
		return p
	}
	clean := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean
}

// Candidate reports, from the method and path alone, whether a request can
// be an authoring write.
func (c *Classifier) Candidate(r *http.Request) bool {
	a, _ := c.apiOf(r)
	return a != apiNone
}

// MayCarryCommand reports whether a request, judged without its body, can
// run a workflow command: any POST to the Authoring or Pages GraphQL
// endpoint can.
func (c *Classifier) MayCarryCommand(r *http.Request) bool {
	a, _ := c.apiOf(r)
	// A multipart body under the shell is a Media Library upload: the
	// editors' postbacks are form-encoded and small.
	return a == apiAuthoring || a == apiPages || (a == apiShell && !isMultipart(r))
}

// BodyHasParams reports whether the body carries what the classifier reads:
// every classified Sitecore request has a JSON body or none.
func (c *Classifier) BodyHasParams(*http.Request) bool {
	return true
}

// Classify returns the operations a buffered request asks for, or nil. A
// body that is not valid JSON or GraphQL yields nil, so the request passes
// through unchanged and the CMS handles it.
func (c *Classifier) Classify(r *http.Request, body []byte) []*dispatch.Operation {
	a, rest := c.apiOf(r)
	user := c.userName(r)
	var ops []*dispatch.Operation
	switch a {
	case apiItemService:
		ops = c.classifyItemService(r, rest, body)
	case apiAuthoring, apiPages, apiLegacy:
		ops = c.classifyGraphQL(a, body)
	case apiShell:
		return c.classifyShell(r, body)
	case apiSpeak:
		return c.classifySpeak(rest, body)
	}
	for _, op := range ops {
		op.UserName = user
	}
	return ops
}

// userName reads the user name claim of a bearer token.
func (c *Classifier) userName(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return ""
	}
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	name, _ := claims[c.cfg.UserClaim].(string)
	return name
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// normalizeID returns a GUID in the payload spelling (lower case, dashed,
// no braces), or the text unchanged when it is not a GUID.
func normalizeID(s string) string {
	if g, err := dispatch.ParseGUID(s); err == nil {
		return g
	}
	return s
}
