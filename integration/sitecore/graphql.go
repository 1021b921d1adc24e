package sitecore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// graphQLService is one GraphQL endpoint: a schema and the root objects
// that resolve its operations.
type graphQLService struct {
	schema *ast.Schema
	rules  *rules.Rules
	roots  func(c *callContext) (query, mutation *record)
}

// callContext is the state that the resolvers of one request share. Resolvers
// run with the Emulator's mutex held.
type callContext struct {
	store *store
	user  string
}

// newGraphQLService loads sdl, which the package's own tests cover, so a
// broken schema panics at startup.
//
// The services validate documents with the standard rules except
// VariablesInAllowedPosition. Public Sitecore clients declare variables as
// String! where the emulated schema has ID (BlazorWorkbox's
// ExecuteWorkflowCommand request does so for item.itemId), so the real
// servers evidently accept such documents.
func newGraphQLService(sdl string, roots func(c *callContext) (query, mutation *record)) *graphQLService {
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "emulator.graphqls", Input: sdl})
	r := rules.NewDefaultRules()
	r.RemoveRule("VariablesInAllowedPosition")
	return &graphQLService{schema: schema, rules: r, roots: roots}
}

// graphQLRequest is the POST body of a GraphQL request.
type graphQLRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// graphQLResponse writes "data" before "errors". Data is nil, and so absent,
// when the request failed before execution.
type graphQLResponse struct {
	Data   *orderedObject `json:"data,omitempty"`
	Errors []graphQLError `json:"errors,omitempty"`
}

type graphQLError struct {
	Message    string         `json:"message"`
	Locations  []location     `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// serveGraphQL handles a GraphQL POST of one request object, or of a JSON
// array of them, which gets an array of responses. Resolver errors come back
// inside a 200 response, and a missing or unknown token gets 401.
func (e *Emulator) serveGraphQL(w http.ResponseWriter, r *http.Request, body []byte, svc *graphQLService, allowCookie bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeGraphQLErrors(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed: send GraphQL requests as POST")
		return
	}
	user, ok := e.user(r, allowCookie)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeGraphQLErrors(w, http.StatusUnauthorized, "missing or invalid bearer token")
		return
	}
	c := &callContext{store: e.store, user: user}

	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		var batch []graphQLRequest
		if err := json.Unmarshal(trimmed, &batch); err != nil {
			writeGraphQLErrors(w, http.StatusBadRequest, "invalid JSON request body: "+err.Error())
			return
		}
		answers := make([]*graphQLResponse, len(batch))
		for i, req := range batch {
			answers[i] = svc.execute(c, req)
		}
		writeJSON(w, http.StatusOK, answers)
		return
	}

	var req graphQLRequest
	if err := json.Unmarshal(trimmed, &req); err != nil {
		writeGraphQLErrors(w, http.StatusBadRequest, "invalid JSON request body: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, svc.execute(c, req))
}

func writeGraphQLErrors(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, graphQLResponse{Errors: []graphQLError{{Message: message}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalJSON(v)
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// execute parses, validates and runs one GraphQL request.
func (svc *graphQLService) execute(c *callContext, req graphQLRequest) *graphQLResponse {
	if req.Query == "" {
		return &graphQLResponse{Errors: []graphQLError{{Message: "missing query: the request body needs a \"query\" string"}}}
	}
	doc, errs := gqlparser.LoadQueryWithRules(svc.schema, req.Query, svc.rules)
	if len(errs) > 0 {
		return &graphQLResponse{Errors: convertErrors(errs)}
	}

	op, err := selectOperation(doc, req.OperationName)
	if err != nil {
		return &graphQLResponse{Errors: []graphQLError{{Message: err.Error()}}}
	}
	vars, err := validator.VariableValues(svc.schema, op, req.Variables)
	if err != nil {
		return &graphQLResponse{Errors: convertErrors(gqlerror.List{asGQLError(err)})}
	}

	query, mutation := svc.roots(c)
	addIntrospection(query, svc.schema)
	root := query
	if op.Operation == ast.Mutation {
		root = mutation
	}
	ex := &executor{schema: svc.schema, doc: doc, vars: vars}
	data := ex.executeObject(root, op.SelectionSet, nil)
	return &graphQLResponse{Data: data, Errors: ex.errors}
}

// selectOperation picks the operation named by operationName, or the only
// operation when the name is empty.
func selectOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		op := doc.Operations.ForName(name)
		if op == nil {
			return nil, fmt.Errorf("unknown operation named %q", name)
		}
		return op, nil
	}
	switch len(doc.Operations) {
	case 0:
		return nil, errors.New("the document contains no operation")
	case 1:
		return doc.Operations[0], nil
	default:
		return nil, errors.New("must provide operationName: the document contains several operations")
	}
}

func asGQLError(err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) {
		return gqlErr
	}
	return gqlerror.Wrap(err)
}

func convertErrors(errs gqlerror.List) []graphQLError {
	out := make([]graphQLError, 0, len(errs))
	for _, e := range errs {
		ge := graphQLError{Message: e.Message, Extensions: e.Extensions}
		for _, loc := range e.Locations {
			ge.Locations = append(ge.Locations, location{Line: loc.Line, Column: loc.Column})
		}
		for _, p := range e.Path {
			switch p := p.(type) {
			case ast.PathName:
				ge.Path = append(ge.Path, string(p))
			case ast.PathIndex:
				ge.Path = append(ge.Path, int(p))
			}
		}
		out = append(out, ge)
	}
	return out
}

// orderedObject is a JSON object that keeps its keys in selection order, so
// aliases come back in the order the document names them.
type orderedObject struct {
	keys   []string
	values []any
}

func (o *orderedObject) add(key string, value any) {
	o.keys = append(o.keys, key)
	o.values = append(o.values, value)
}

// MarshalJSON writes the members in insertion order.
func (o *orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, key := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalJSON(key)
		if err != nil {
			return nil, err
		}
		v, err := marshalJSON(o.values[i])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalJSON encodes v without escaping <, > and &, so that rich-text
// field values read in logs as they are stored.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
