package sitecore

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// modelOptions are the query parameters that shape an ItemModel.
type modelOptions struct {
	version         int      // 0: the latest version
	includeStandard bool     // includeStandardTemplateFields
	fields          []string // the fields parameter: return only these properties
}

func parseModelOptions(query url.Values) (modelOptions, error) {
	var opts modelOptions
	var err error
	if opts.version, err = parseVersion(query.Get("version")); err != nil {
		return opts, err
	}
	opts.includeStandard, _ = strconv.ParseBool(query.Get("includeStandardTemplateFields"))
	for _, name := range strings.Split(query.Get("fields"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			opts.fields = append(opts.fields, name)
		}
	}
	return opts, nil
}

// itemModel builds the ItemService's ItemModel: the item's properties, then
// the raw value of every field keyed by field name. Like the samples in
// Sitecore's ItemService documentation and public captures, IDs are dashed
// lower case and ItemVersion and HasChildren are strings ("1", "True").
// Standard fields appear only with includeStandardTemplateFields=true.
func (s *store) itemModel(it *item, lang string, v *itemVersion, opts modelOptions) *orderedObject {
	number := 0
	if v != nil {
		number = v.number
	}
	parentID := uuid.Nil
	if it.parent != nil {
		parentID = it.parent.id
	}
	displayName := it.value(fieldDisplayName, lang, v)
	if displayName == "" {
		displayName = it.name
	}
	hasChildren := "False"
	if len(it.children) > 0 {
		hasChildren = "True"
	}

	model := &orderedObject{}
	add := func(key string, value any) {
		if len(opts.fields) == 0 || containsFold(opts.fields, key) {
			model.add(key, value)
		}
	}
	add("ItemID", it.id.String())
	add("ItemName", it.name)
	add("ItemPath", it.path())
	add("ParentID", parentID.String())
	add("TemplateID", it.template.id.String())
	add("TemplateName", it.template.name)
	add("CloneSource", nil)
	add("ItemLanguage", lang)
	add("ItemVersion", strconv.Itoa(number))
	add("DisplayName", displayName)
	add("HasChildren", hasChildren)
	add("ItemIcon", "/temp/iconcache/applications/16x16/document.png")
	add("ItemMedialUrl", "/-/icon/Applications/48x48/document.png.aspx")
	add("ItemUrl", "~/link.aspx?_id="+strings.ToUpper(formatGUID(it.id, "N"))+"&amp;_z=z")

	defs := it.template.fields
	if opts.includeStandard {
		defs = it.template.allFields()
	}
	for _, f := range defs {
		add(f.name, it.value(f, lang, v))
	}
	return model
}
