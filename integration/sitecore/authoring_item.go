package sitecore

import (
	"strconv"

	"github.com/google/uuid"
)

// guidField resolves an ID field that takes a format argument; without one
// it returns 32 hex digits, the Authoring API's default form.
func guidField(id uuid.UUID) resolver {
	return func(args map[string]any) (any, error) {
		format, _ := args["format"].(string)
		return formatGUID(id, format), nil
	}
}

// authoringItem builds the Authoring API's Item object for one version of
// it. v is nil when the item has no version in lang; the item then reads
// as version 0 with empty versioned fields.
func (c *callContext) authoringItem(it *item, lang string, v *itemVersion) *record {
	number := 0
	var versionName any
	if v != nil {
		number = v.number
		versionName = v.name
	}
	displayName := it.value(fieldDisplayName, lang, v)
	if displayName == "" {
		displayName = it.name
	}

	return newRecord("Item", map[string]any{
		"itemId":      guidField(it.id),
		"name":        it.name,
		"displayName": displayName,
		"path":        it.path(),
		"database":    defaultDatabase,
		"language":    newRecord("Language", map[string]any{"name": lang}),
		"version":     number,
		"versionName": versionName,
		"hasChildren": len(it.children) > 0,
		"template": newRecord("ItemTemplate", map[string]any{
			"templateId": guidField(it.template.id),
			"name":       it.template.name,
			"fullName":   it.template.fullName,
		}),
		"parent": resolver(func(map[string]any) (any, error) {
			if it.parent == nil {
				return nil, nil
			}
			return c.authoringItem(it.parent, lang, it.parent.version(lang, 0)), nil
		}),
		"children": resolver(func(args map[string]any) (any, error) {
			nodes := make([]*record, 0, len(it.children))
			for _, child := range it.children {
				nodes = append(nodes, c.authoringItem(child, lang, child.version(lang, 0)))
			}
			return connection("ItemConnection", nodes, args), nil
		}),
		"fields": resolver(func(args map[string]any) (any, error) {
			in := input(args)
			defs := it.template.allFields()
			if in.boolean("ownFields", false) || in.boolean("excludeStandardFields", false) {
				defs = it.template.fields
			}
			nodes := make([]*record, 0, len(defs))
			for _, f := range defs {
				nodes = append(nodes, itemField(f, it.value(f, lang, v)))
			}
			return connection("ItemFieldConnection", nodes, args), nil
		}),
		"field": resolver(func(args map[string]any) (any, error) {
			f := it.template.fieldByName(input(args).str("name"))
			if f == nil {
				return nil, nil
			}
			return itemField(f, it.value(f, lang, v)), nil
		}),
		"versions": resolver(func(args map[string]any) (any, error) {
			langs := []string{lang}
			if input(args).boolean("allLanguages", false) {
				langs = it.languages()
			}
			var out []*record
			for _, l := range langs {
				for _, version := range it.versions[l] {
					out = append(out, c.authoringItem(it, l, version))
				}
			}
			return out, nil
		}),
		"workflow": resolver(func(map[string]any) (any, error) {
			return c.authoringWorkflow(it, v), nil
		}),
	})
}

func itemField(f *fieldDef, value string) *record {
	return newRecord("ItemField", map[string]any{
		"fieldId": guidField(f.id),
		"name":    f.name,
		"value":   value,
	})
}

// authoringWorkflow builds the ItemWorkflow object, or returns nil when the
// item is in no workflow.
func (c *callContext) authoringWorkflow(it *item, v *itemVersion) any {
	wf, state := c.store.versionState(it, v)
	if wf == nil {
		return nil
	}
	var stateRecord any
	if state != nil {
		stateRecord = newRecord("WorkflowState", map[string]any{
			"stateId":     guidField(state.id),
			"displayName": state.displayName,
			"final":       state.final,
		})
	}
	return newRecord("ItemWorkflow", map[string]any{
		"workflow":      newRecord("Workflow", map[string]any{"workflowId": guidField(wf.id), "displayName": wf.name}),
		"workflowState": stateRecord,
	})
}

// connection pages nodes with the first and after arguments. A cursor is the
// decimal index of a node.
func connection(typ string, nodes []*record, args map[string]any) *record {
	in := input(args)
	start := 0
	if after := in.str("after"); after != "" {
		if n, err := strconv.Atoi(after); err == nil {
			start = n + 1
		}
	}
	start = min(max(start, 0), len(nodes))
	end := len(nodes)
	if first, ok := in.integer("first"); ok && first >= 0 && start+first < end {
		end = start + first
	}

	var endCursor any
	if end > start {
		endCursor = strconv.Itoa(end - 1)
	}
	return newRecord(typ, map[string]any{
		"nodes":      nodes[start:end],
		"totalCount": len(nodes),
		"pageInfo":   newRecord("PageInfo", map[string]any{"hasNextPage": end < len(nodes), "endCursor": endCursor}),
	})
}
