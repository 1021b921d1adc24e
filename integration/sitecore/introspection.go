package sitecore

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// addIntrospection gives a query root the __schema and __type fields, so
// that GraphQL IDEs and tests can read the emulated schema the way the
// Sitecore documentation suggests checking a live one. Deprecation is not
// modelled: nothing in the emulated schemas is deprecated.
func addIntrospection(query *record, schema *ast.Schema) {
	query.fields["__schema"] = resolver(func(map[string]any) (any, error) {
		return schemaRecord(schema), nil
	})
	query.fields["__type"] = resolver(func(args map[string]any) (any, error) {
		name, _ := args["name"].(string)
		def := schema.Types[name]
		if def == nil {
			return nil, nil
		}
		return typeRecord(schema, def), nil
	})
}

func schemaRecord(schema *ast.Schema) *record {
	names := make([]string, 0, len(schema.Types))
	for name := range schema.Types {
		names = append(names, name)
	}
	sort.Strings(names)
	types := make([]*record, 0, len(names))
	for _, name := range names {
		types = append(types, typeRecord(schema, schema.Types[name]))
	}

	directiveNames := make([]string, 0, len(schema.Directives))
	for name := range schema.Directives {
		directiveNames = append(directiveNames, name)
	}
	sort.Strings(directiveNames)
	directives := make([]*record, 0, len(directiveNames))
	for _, name := range directiveNames {
		directives = append(directives, directiveRecord(schema, schema.Directives[name]))
	}

	var mutation *record
	if schema.Mutation != nil {
		mutation = typeRecord(schema, schema.Mutation)
	}
	return newRecord("__Schema", map[string]any{
		"description":      nil,
		"types":            types,
		"queryType":        typeRecord(schema, schema.Query),
		"mutationType":     mutation,
		"subscriptionType": nil,
		"directives":       directives,
	})
}

// typeRecord builds the __Type of a named type. Its members are resolved
// lazily, because types refer to each other in cycles.
func typeRecord(schema *ast.Schema, def *ast.Definition) *record {
	fields := map[string]any{
		"kind":           string(def.Kind),
		"name":           def.Name,
		"description":    nullableString(def.Description),
		"specifiedByURL": nil,
		"ofType":         nil,
		"fields":         nil,
		"interfaces":     nil,
		"possibleTypes":  nil,
		"enumValues":     nil,
		"inputFields":    nil,
	}

	switch def.Kind {
	case ast.Object, ast.Interface:
		fields["fields"] = resolver(func(map[string]any) (any, error) {
			out := []*record{}
			for _, f := range def.Fields {
				if !strings.HasPrefix(f.Name, "__") {
					out = append(out, fieldRecord(schema, f))
				}
			}
			return out, nil
		})
		fields["interfaces"] = resolver(func(map[string]any) (any, error) {
			out := []*record{}
			for _, name := range def.Interfaces {
				out = append(out, typeRecord(schema, schema.Types[name]))
			}
			return out, nil
		})
	case ast.InputObject:
		fields["inputFields"] = resolver(func(map[string]any) (any, error) {
			out := []*record{}
			for _, f := range def.Fields {
				out = append(out, inputValueRecord(schema, f.Name, f.Description, f.Type, f.DefaultValue))
			}
			return out, nil
		})
	case ast.Enum:
		fields["enumValues"] = resolver(func(map[string]any) (any, error) {
			out := []*record{}
			for _, v := range def.EnumValues {
				out = append(out, newRecord("__EnumValue", map[string]any{
					"name": v.Name, "description": nullableString(v.Description),
					"isDeprecated": false, "deprecationReason": nil,
				}))
			}
			return out, nil
		})
	}
	if def.IsAbstractType() {
		fields["possibleTypes"] = resolver(func(map[string]any) (any, error) {
			out := []*record{}
			for _, possible := range schema.GetPossibleTypes(def) {
				out = append(out, typeRecord(schema, possible))
			}
			return out, nil
		})
	}
	return newRecord("__Type", fields)
}

// typeRefRecord builds the __Type of a type reference, wrapping NON_NULL
// and LIST around the named type.
func typeRefRecord(schema *ast.Schema, t *ast.Type) *record {
	if t.NonNull {
		inner := *t
		inner.NonNull = false
		return wrapperRecord("NON_NULL", typeRefRecord(schema, &inner))
	}
	if t.Elem != nil {
		return wrapperRecord("LIST", typeRefRecord(schema, t.Elem))
	}
	return typeRecord(schema, schema.Types[t.NamedType])
}

func wrapperRecord(kind string, ofType *record) *record {
	return newRecord("__Type", map[string]any{
		"kind": kind, "name": nil, "description": nil, "specifiedByURL": nil, "ofType": ofType,
		"fields": nil, "interfaces": nil, "possibleTypes": nil, "enumValues": nil, "inputFields": nil,
	})
}

func fieldRecord(schema *ast.Schema, f *ast.FieldDefinition) *record {
	args := []*record{}
	for _, a := range f.Arguments {
		args = append(args, inputValueRecord(schema, a.Name, a.Description, a.Type, a.DefaultValue))
	}
	return newRecord("__Field", map[string]any{
		"name":              f.Name,
		"description":       nullableString(f.Description),
		"args":              args,
		"type":              typeRefRecord(schema, f.Type),
		"isDeprecated":      false,
		"deprecationReason": nil,
	})
}

func inputValueRecord(schema *ast.Schema, name, description string, t *ast.Type, def *ast.Value) *record {
	var defaultValue any
	if def != nil {
		defaultValue = def.String()
	}
	return newRecord("__InputValue", map[string]any{
		"name":              name,
		"description":       nullableString(description),
		"type":              typeRefRecord(schema, t),
		"defaultValue":      defaultValue,
		"isDeprecated":      false,
		"deprecationReason": nil,
	})
}

func directiveRecord(schema *ast.Schema, d *ast.DirectiveDefinition) *record {
	locations := make([]any, len(d.Locations))
	for i, loc := range d.Locations {
		locations[i] = string(loc)
	}
	args := []*record{}
	for _, a := range d.Arguments {
		args = append(args, inputValueRecord(schema, a.Name, a.Description, a.Type, a.DefaultValue))
	}
	return newRecord("__Directive", map[string]any{
		"name":         d.Name,
		"description":  nullableString(d.Description),
		"locations":    locations,
		"args":         args,
		"isRepeatable": d.IsRepeatable,
	})
}

func nullableString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
