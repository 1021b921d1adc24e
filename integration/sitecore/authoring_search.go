package sitecore

import (
	"fmt"
	"strings"
)

// The Authoring API's search reads Sitecore's content search index. The
// emulator has no index: it responds from the store as an index that is
// never behind, and knows only the index fields below.
//
// Sources: BlazorWorkbox (GraphQL/Requests/WorkboxItemsSearchRequest.cs)
// sends search(query: {index, latestVersionOnly, paging: {pageSize,
// pageIndex}, filterStatement: {criteria: [{criteriaType: EXACT, operator:
// MUST, field: "__workflow_state", value}]}, sort}) with the state id as
// Guid.ToString("N") and selects totalCount and results {path name itemId
// language {name} version templateName}; other public clients select
// results {innerItem {...}} and use searchStatement, the _language field
// and the criteria types CONTAINS, STARTSWITH, WILDCARD and RANGE, and
// Sitecore's documentation shows EXACT, STARTSWITH and CONTAINS.
//
// NOTE: the type names SearchQueryInput, SearchStatementInput,
// SearchPagingInput, SearchSortInput, ContentSearchResults and
// ContentSearchResult are guesses (SearchCriteriaInput, CriteriaType and
// CriteriaOperator appear as class names in a C# client), as is the Int
// type of version.
const authoringSearchSchema = `
extend type Query {
  search(query: SearchQueryInput): ContentSearchResults
}

enum CriteriaType { EXACT STARTSWITH CONTAINS WILDCARD SEARCH RANGE }
enum CriteriaOperator { MUST SHOULD NOT }
enum SortDirection { ASCENDING DESCENDING }

input SearchCriteriaInput { criteriaType: CriteriaType field: String! operator: CriteriaOperator value: String! }
input SearchStatementInput { criteria: [SearchCriteriaInput!] operator: CriteriaOperator subStatements: [SearchStatementInput!] }
input SearchPagingInput { pageIndex: Int pageSize: Int skip: Int }
input SearchSortInput { field: String! direction: SortDirection }
input SearchQueryInput {
  index: String
  language: String
  latestVersionOnly: Boolean
  paging: SearchPagingInput
  searchStatement: SearchStatementInput
  filterStatement: SearchStatementInput
  sort: [SearchSortInput!]
  facetOnFields: [String!]
}

type ContentSearchResults { totalCount: Int! results: [ContentSearchResult!]! }
type ContentSearchResult {
  itemId(format: GuidFormat): ID!
  name: String!
  path: String!
  language: Language!
  version: Int!
  templateName: String!
  innerItem: Item
}
`

// searchPageSize is the page size when the query gives none.
const searchPageSize = 10

// indexedVersion is one item version as the index holds it.
type indexedVersion struct {
	it   *item
	lang string
	v    *itemVersion
}

// indexFields are the index fields the emulator can match, each with the
// value it holds for a version, as Sitecore's default index configuration
// stores it (ids as 32 lower-case digits, names in lower case).
var indexFields = map[string]func(s *store, x indexedVersion) string{
	"__workflow_state": func(s *store, x indexedVersion) string {
		id, err := parseID(x.v.fields[fieldWorkflowState.id])
		if err != nil {
			return ""
		}
		return formatGUID(id, "N")
	},
	"_language": func(_ *store, x indexedVersion) string { return strings.ToLower(x.lang) },
	"_name":     func(_ *store, x indexedVersion) string { return strings.ToLower(x.it.name) },
	"_template": func(_ *store, x indexedVersion) string { return formatGUID(x.it.template.id, "N") },
}

func (c *callContext) search(args map[string]any) (any, error) {
	q := inputArg(args, "query")
	if index := q.str("index"); index != "" && index != "sitecore_master_index" {
		return nil, fmt.Errorf("index %q does not exist; the emulator has sitecore_master_index", index)
	}
	var criteria []input
	for _, key := range []string{"searchStatement", "filterStatement"} {
		list, _ := q.object(key)["criteria"].([]any)
		for _, elem := range list {
			cr := input(asMap(elem))
			if _, ok := indexFields[cr.str("field")]; !ok {
				return nil, fmt.Errorf("the emulator's index has no field %q", cr.str("field"))
			}
			if t := cr.str("criteriaType"); t != "" && t != "EXACT" {
				return nil, fmt.Errorf("the emulator matches criteriaType EXACT only, not %s", t)
			}
			if op := cr.str("operator"); op != "" && op != "MUST" {
				return nil, fmt.Errorf("the emulator matches operator MUST only, not %s", op)
			}
			criteria = append(criteria, cr)
		}
	}
	language := strings.ToLower(q.str("language"))
	latestOnly := q.boolean("latestVersionOnly", true)

	var found []indexedVersion
	c.store.walk(func(x indexedVersion) {
		if language != "" && strings.ToLower(x.lang) != language {
			return
		}
		if latestOnly && x.it.version(x.lang, 0) != x.v {
			return
		}
		for _, cr := range criteria {
			if indexFields[cr.str("field")](c.store, x) != strings.ToLower(cr.str("value")) {
				return
			}
		}
		found = append(found, x)
	})

	paging := q.object("paging")
	size, ok := paging.integer("pageSize")
	if !ok || size <= 0 {
		size = searchPageSize
	}
	page, _ := paging.integer("pageIndex")
	skip, _ := paging.integer("skip")
	start := min(len(found), max(0, page*size+skip))
	end := min(len(found), start+size)

	results := make([]*record, 0, end-start)
	for _, x := range found[start:end] {
		results = append(results, newRecord("ContentSearchResult", map[string]any{
			"itemId":       guidField(x.it.id),
			"name":         x.it.name,
			"path":         x.it.path(),
			"language":     newRecord("Language", map[string]any{"name": x.lang}),
			"version":      x.v.number,
			"templateName": x.it.template.name,
			"innerItem":    c.authoringItem(x.it, x.lang, x.v),
		}))
	}
	return newRecord("ContentSearchResults", map[string]any{"totalCount": len(found), "results": results}), nil
}

// walk calls fn for every version of every item, in tree order.
func (s *store) walk(fn func(indexedVersion)) {
	var visit func(*item)
	visit = func(it *item) {
		for _, lang := range it.languages() {
			for _, v := range it.versions[lang] {
				fn(indexedVersion{it: it, lang: lang, v: v})
			}
		}
		for _, child := range it.children {
			visit(child)
		}
	}
	visit(s.root)
}
