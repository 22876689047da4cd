"""Environment.txt: rendered and parsed the same way by every package, and compared package by package."""

from lab_workbook_core.environment import Environment, Package, compare_versions, strip_credentials


def _env(*packages: Package, **facts: str) -> Environment:
    return Environment.of({"python": "3.11.9", **facts}, list(packages))


def test_rendering_then_parsing_gives_the_same_environment():
    env = _env(
        Package("torch", "2.13.0+cpu"),
        Package("my_lib", "0.1", "editable", "/home/me/src/my lib", "0123456789abcdef0123456789abcdef01234567"),
        Package(
            "from-git", "2.0", "git", "https://git.example.com/lib.git", "fedcba9876543210fedcba9876543210fedcba98"
        ),
        Package("local-dir", "1.0", "local", "/opt/pkgs/local-dir"),
        gpus="NVIDIA A100-SXM4-80GB; NVIDIA A100-SXM4-80GB",
    )
    assert Environment.parse(env.render()) == env


def test_packages_are_keyed_by_canonical_name_and_the_first_of_two_wins():
    env = Environment.of({}, [Package("Foo_Bar", "1.0"), Package("foo-bar", "2.0")])
    assert list(env.packages) == ["foo-bar"]
    assert env.packages["foo-bar"].version == "1.0"


def test_a_fact_cannot_break_the_one_line_format():
    env = _env(platform="Linux\n# torch: forged")
    assert "torch" not in Environment.parse(env.render()).facts


def test_credentials_user_query_and_fragment_are_stripped_from_urls():
    assert strip_credentials("https://user:tok@host.example/a/b.whl?sig=1#sha256=x") == "https://host.example/a/b.whl"
    assert strip_credentials("git+ssh://git@github.com/org/repo.git") == "git+ssh://github.com/org/repo.git"
    assert strip_credentials("file:///home/me/src") == "file:///home/me/src"


def test_the_diff_lists_exactly_the_packages_added_removed_and_changed():
    before = _env(
        Package("numpy", "1.26.4"), Package("torch", "2.12.0"), Package("tqdm", "4.66.0"), Package("six", "1.17.0")
    )
    after = _env(
        Package("numpy", "1.26.4"),
        Package("torch", "2.13.0"),
        Package("tqdm", "4.65.0"),
        Package("rich", "13.0.0"),
        python="3.11.10",
    )
    diff = before.diff(after)
    assert [p.name for p in diff.added] == ["rich"]
    assert [p.name for p in diff.removed] == ["six"]
    assert {b.name: diff.change_kind(b, a) for b, a in diff.changed} == {"torch": "upgraded", "tqdm": "downgraded"}
    assert diff.facts == {"python": ("3.11.9", "3.11.10")}
    assert diff.summary() == "4 packages differ (1 added, 1 removed, 1 upgraded, 1 downgraded); python differs"


def test_an_editable_package_at_another_commit_is_changed():
    before = _env(Package("mylib", "0.1", "editable", "/src/mylib", "a" * 40))
    after = _env(Package("mylib", "0.1", "editable", "/src/mylib", "b" * 40))
    diff = before.diff(after)
    assert [diff.change_kind(b, a) for b, a in diff.changed] == ["changed"]
    assert diff.summary() == "1 package differs (1 changed)"


def test_identical_environments_have_an_empty_diff():
    env = _env(Package("numpy", "1.26.4"))
    assert not env.diff(Environment.parse(env.render()))
    assert env.diff(env).summary() == "identical"


def test_versions_are_ordered_by_pep_440():
    assert compare_versions("1.0rc1", "1.0") == 1
    assert compare_versions("2.10.0", "2.9.1") == -1
    assert compare_versions("1.0", "1.0.0") == 0
