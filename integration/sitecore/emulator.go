package sitecore

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Routes of the emulated APIs. Matching ignores letter case, as IIS does.
const (
	ItemServicePath = "/sitecore/api/ssc/item"
	AuthoringPath   = "/sitecore/api/authoring/graphql/v1"
	HorizonPath     = "/sitecore/api/ssc/horizon/query"
	LegacyGraphPath = "/sitecore/api/graph/items/master"
)

// maxBodyBytes bounds the request bodies the emulator reads.
const maxBodyBytes = 8 << 20

// Options configures an Emulator.
type Options struct {
	// Tokens maps each accepted credential to the domain-qualified user name
	// it authenticates, e.g. "editor-token" → `sitecore\editor`. A request
	// sends it as "Authorization: Bearer <token>". The routes below
	// /sitecore/api/ssc/ (the ItemService and Pages), the legacy GraphQL
	// endpoint, the Sheer UI pages of the Content Editor and the Workbox and
	// the Experience Editor's SPEAK requests also take it as the cookie
	// .AspNet.Cookies. With no tokens
	// every request is rejected: 403 on the ItemService, 401 elsewhere.
	Tokens map[string]string

	// Languages are the content languages the emulator accepts. The default
	// is en, de-DE and fr-FR. The first-version language of the seeded
	// items is always en.
	Languages []string

	// Now is the clock behind __Created and __Updated. The default is time.Now.
	Now func() time.Time

	// GzipResponses compresses response bodies with gzip for requests whose
	// Accept-Encoding lists gzip, as an IIS with dynamic compression does.
	// It is off by default.
	GzipResponses bool
}

// Emulator emulates the content-management HTTP APIs of a Sitecore XM CM
// instance over an in-memory master database: the SSC ItemService REST API,
// the Authoring and Management GraphQL API, the Pages (Horizon) GraphQL API
// and the legacy Sitecore GraphQL item API. It also serves the Sheer UI
// postbacks that run workflow commands in the Content Editor and the
// Workbox (sheer.go), and the Experience Editor's SPEAK requests that save,
// insert, rename, move and delete items (speak.go). It is an http.Handler;
// serve it with httptest.NewServer.
//
// Requests run one at a time under one mutex. So every request, and every
// element of a batched GraphQL request, reads the writes of those before it.
type Emulator struct {
	tokens        map[string]string
	gzipResponses bool

	authoring *graphQLService
	horizon   *graphQLService
	legacy    *graphQLService

	mu       sync.Mutex
	store    *store
	requests []Request
	failNext int

	// pipelines are the Sheer UI client pipelines that wait for a dialog
	// result, keyed by session and pipeline ID (see sheer.go).
	pipelines map[string]*sheerPipeline

	// saveWarnings are the validation warnings of items, by item id, that
	// the Content Editor's save prompts about before it saves.
	saveWarnings map[uuid.UUID]string
}

// Request is one request the emulator received, in arrival order.
type Request struct {
	Method   string
	Path     string // the URL path as sent, still percent-encoded
	RawQuery string
	Header   http.Header
	Body     []byte
	Status   int // the response status code
}

// NewEmulator returns an emulator with the seeded content tree.
func NewEmulator(opts Options) *Emulator {
	languages := opts.Languages
	if len(languages) == 0 {
		languages = []string{"en", "de-DE", "fr-FR"}
	}
	if !containsFold(languages, defaultLanguage) {
		languages = append([]string{defaultLanguage}, languages...)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	tokens := make(map[string]string, len(opts.Tokens))
	for token, user := range opts.Tokens {
		tokens[token] = user
	}

	return &Emulator{
		tokens:        tokens,
		gzipResponses: opts.GzipResponses,
		authoring:     newAuthoringService(),
		horizon:       newHorizonService(),
		legacy:        newLegacyService(),
		store:         newStore(languages, now),
	}
}

// ServeHTTP routes a request to the emulated API its path names.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
		return
	}

	e.mu.Lock()
	defer e.mu.Unlock()

	index := len(e.requests)
	e.requests = append(e.requests, Request{
		Method:   r.Method,
		Path:     r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	})
	w = &statusRecorder{ResponseWriter: w, status: &e.requests[index].Status}
	if e.gzipResponses && acceptsGzip(r) {
		gz := &gzipWriter{ResponseWriter: w}
		defer gz.close()
		w = gz
	}

	if e.failNext > 0 {
		e.failNext--
		http.Error(w, "internal server error: emulated failure set by Emulator.FailNext", http.StatusInternalServerError)
		return
	}
	if len(body) > maxBodyBytes {
		http.Error(w, "request body too large: the emulator reads at most 8 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	path := strings.ToLower(strings.TrimSuffix(r.URL.Path, "/"))
	switch {
	case path == AuthoringPath:
		e.serveGraphQL(w, r, body, e.authoring, false)
	case path == HorizonPath:
		e.serveGraphQL(w, r, body, e.horizon, true)
	case path == LegacyGraphPath:
		e.serveGraphQL(w, r, body, e.legacy, true)
	case path == ItemServicePath || strings.HasPrefix(path, ItemServicePath+"/"):
		e.serveItemService(w, r, body)
	default:
		if page, ok := sheerPageOf(path, r); ok {
			e.serveSheer(w, r, body, page)
			return
		}
		if name, ok := speakRequestName(r); ok {
			e.serveSpeak(w, r, body, name)
			return
		}
		http.NotFound(w, r)
	}
}

// statusRecorder copies the response status into the request log before
// the client can see the response.
type statusRecorder struct {
	http.ResponseWriter
	status *int
}

func (s *statusRecorder) WriteHeader(code int) {
	if *s.status == 0 {
		*s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if *s.status == 0 {
		*s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// user returns the user a request authenticates as, and false when it
// carries no known token. allowCookie also accepts the .AspNet.Cookies cookie.
func (e *Emulator) user(r *http.Request, allowCookie bool) (string, bool) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, found := strings.Cut(auth, " ")
		if found && strings.EqualFold(scheme, "Bearer") {
			if user, ok := e.tokens[strings.TrimSpace(token)]; ok {
				return user, true
			}
		}
	}
	if allowCookie {
		if c, err := r.Cookie(".AspNet.Cookies"); err == nil {
			if user, ok := e.tokens[c.Value]; ok {
				return user, true
			}
		}
	}
	return "", false
}

// FailNext makes the next n requests, whatever their route, fail with 500
// before they reach an API. The emulator logs them all the same.
func (e *Emulator) FailNext(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failNext = n
}

// Requests returns a copy of the request log.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Request, len(e.requests))
	for i, r := range e.requests {
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ClearRequests empties the request log.
func (e *Emulator) ClearRequests() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = nil
}

// WarnOnSave gives an item a validation warning, as a validator rule
// would, so that a Content Editor save of it prompts with a Confirm dialog
// whether to save anyway, and saves only after a "yes".
func (e *Emulator) WarnOnSave(idOrPath, warning string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, err := e.store.resolveItem(idOrPath)
	if err != nil {
		return err
	}
	if e.saveWarnings == nil {
		e.saveWarnings = map[uuid.UUID]string{}
	}
	e.saveWarnings[it.id] = warning
	return nil
}

// Item returns a copy of the item with the given ID, in any GUID spelling,
// or with the given full path.
func (e *Emulator) Item(idOrPath string) (Item, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, err := e.store.resolveItem(idOrPath)
	if err != nil {
		return Item{}, false
	}
	return it.snapshot(), true
}

// WorkflowState returns the workflow state of one item version; version 0
// selects the latest version in lang. It returns false when the item, the
// version or its state does not exist.
func (e *Emulator) WorkflowState(id, lang string, version int) (WorkflowState, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, err := e.store.resolveItem(id)
	if err != nil {
		return WorkflowState{}, false
	}
	lang, err = e.store.language(lang)
	if err != nil {
		return WorkflowState{}, false
	}
	_, state := e.store.versionState(it, it.version(lang, version))
	if state == nil {
		return WorkflowState{}, false
	}
	return state.export(), true
}

// Workflow returns the definition of the workflow with the given ID.
func (e *Emulator) Workflow(id string) (Workflow, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	wfID, err := parseID(id)
	if err != nil {
		return Workflow{}, false
	}
	for _, wf := range e.store.workflows {
		if wf.id == wfID {
			return wf.export(), true
		}
	}
	return Workflow{}, false
}

// WorkflowEvents returns the successful workflow commands in the order they ran.
func (e *Emulator) WorkflowEvents() []WorkflowEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]WorkflowEvent(nil), e.store.events...)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
