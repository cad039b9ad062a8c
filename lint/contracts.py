"""A contract import-linter lacks: no cycle between single modules anywhere in the tree.

`acyclic_siblings` looks at siblings inside a package; this one also catches a cycle whose
modules sit in different apps of one layer (the foundation's base apps may import each other,
but no module may reach itself again).
"""

from importlinter import Contract, ContractCheck, fields, output


def _cycles(graph, modules):
    """Strongly connected components with more than one module (iterative Tarjan)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


class NoModuleCyclesContract(Contract):
    type_name = "no_module_cycles"

    root = fields.StringField()

    def check(self, graph, verbose):
        prefix = f"{self.root}."
        modules = {m for m in graph.modules if m == self.root or m.startswith(prefix)}
        cycles = _cycles(graph, modules)
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check):
        for component in check.metadata["cycles"]:
            output.print_error("These modules import each other, directly or through one another:")
            for module in component:
                output.print(f"- {module}")
            output.new_line()
