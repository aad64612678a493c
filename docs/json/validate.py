#!/usr/bin/env python3
"""validate.py DIR: checks every *.json file in DIR against output.schema.json.
Exit 0 all valid (or none), 1 some invalid, 77 python3-jsonschema missing."""
import json, os, sys
try:
    import jsonschema
    from referencing import Registry, Resource
except ImportError:
    print("SKIP: python3-jsonschema (with referencing) not installed")
    sys.exit(77)
here = os.path.dirname(os.path.abspath(__file__))
schemas = {}
for name in ("output", "problem", "error"):
    with open(os.path.join(here, name + ".schema.json")) as f:
        schemas[name] = json.load(f)
registry = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in schemas.values())
validator = jsonschema.Draft202012Validator(schemas["output"], registry=registry)
bad = n = 0
for fn in sorted(os.listdir(sys.argv[1])):
    if not fn.endswith(".json"):
        continue
    n += 1
    path = os.path.join(sys.argv[1], fn)
    try:
        with open(path) as f:
            doc = json.load(f)
    except ValueError as e:
        print(f"{fn}: not JSON: {e}")
        bad += 1
        continue
    errs = list(validator.iter_errors(doc))
    if errs:
        bad += 1
        print(f"{fn}: {errs[0].message[:300]}")
        with open(path + ".cmd") as f:
            print("  from:", f.read().strip())
print(f"{n - bad} of {n} JSON outputs valid")
sys.exit(1 if bad else 0)
