package sitecore

import (
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// maxFragmentDepth bounds how deep fragment spreads are followed, so that a
// cyclic document cannot loop.
const maxFragmentDepth = 10

// graphqlRequest is one GraphQL request: a body, or one element of a
// batched array.
type graphqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// mutationCall is one top-level field of the mutation that runs, with its
// arguments resolved against the variables.
type mutationCall struct {
	// name is the mutation's name, key its key in the response: the alias
	// when the document gives one.
	name string
	key  string
	args map[string]any

	// batch is the index of the request in a batched array, or -1.
	batch int
}

// parseGraphQLBody reads a GraphQL HTTP body: one request object or a
// batched array of them. It returns nil, without error, for a body that is
// not JSON in either shape.
func parseGraphQLBody(body []byte) ([]graphqlRequest, bool, error) {
	var one graphqlRequest
	if err := json.Unmarshal(body, &one); err == nil && one.Query != "" {
		return []graphqlRequest{one}, false, nil
	}
	var many []graphqlRequest
	if err := json.Unmarshal(body, &many); err == nil && len(many) > 0 {
		return many, true, nil
	}
	return nil, false, fmt.Errorf("not a GraphQL request body")
}

// mutationCalls parses a request's document with a GraphQL parser and
// returns the top-level fields of the operation that runs, when it is a
// mutation. The operation is the one operationName names, or the only one.
// Fragment spreads and inline fragments at the top level are followed.
func mutationCalls(req graphqlRequest, batch int) ([]mutationCall, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		return nil, fmt.Errorf("parsing GraphQL document: %v", err)
	}
	op, err := selectOperation(doc, req.OperationName)
	if err != nil {
		return nil, err
	}
	if op.Operation != ast.Mutation {
		return nil, nil
	}

	vars := map[string]any{}
	for _, def := range op.VariableDefinitions {
		if def.DefaultValue != nil {
			v, err := def.DefaultValue.Value(nil)
			if err == nil {
				vars[def.Variable] = v
			}
		}
	}
	for k, v := range req.Variables {
		vars[k] = v
	}

	var calls []mutationCall
	var walk func(set ast.SelectionSet, depth int) error
	walk = func(set ast.SelectionSet, depth int) error {
		if depth > maxFragmentDepth {
			return fmt.Errorf("fragments nested deeper than %d", maxFragmentDepth)
		}
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				call := mutationCall{name: s.Name, key: s.Alias, args: map[string]any{}, batch: batch}
				if call.key == "" {
					call.key = s.Name
				}
				for _, arg := range s.Arguments {
					v, err := arg.Value.Value(vars)
					if err != nil {
						return fmt.Errorf("argument %s of %s: %v", arg.Name, s.Name, err)
					}
					call.args[arg.Name] = v
				}
				calls = append(calls, call)
			case *ast.InlineFragment:
				if err := walk(s.SelectionSet, depth+1); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				f := doc.Fragments.ForName(s.Name)
				if f == nil {
					return fmt.Errorf("fragment %s is not defined", s.Name)
				}
				if err := walk(f.SelectionSet, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(op.SelectionSet, 0); err != nil {
		return nil, err
	}
	return calls, nil
}

func selectOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		op := doc.Operations.ForName(name)
		if op == nil {
			return nil, fmt.Errorf("operation %q is not in the document", name)
		}
		return op, nil
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("the document has %d operations and no operationName", len(doc.Operations))
	}
	return doc.Operations[0], nil
}
