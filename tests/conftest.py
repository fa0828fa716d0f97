"""Test order: tests marked ``first`` run before all others, tests marked ``last`` after all
others (the SLURM walltime batch is started first, runs its minutes beside the suite and is
checked last); the rest keep pytest's order."""


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        return (0 if item.get_closest_marker("first") else
                2 if item.get_closest_marker("last") else 1)

    items.sort(key=rank)
