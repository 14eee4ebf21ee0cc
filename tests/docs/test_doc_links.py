"""Every relative link and image in README.md and docs/ resolves, and every
``configs/...``, ``tools/...`` and ``benchmarks/...`` path they name exists.

``check_markdown`` is the checker; the probe test feeds it a broken page so
a checker that finds nothing cannot pass unnoticed.
"""
import pytest
import re
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / 'README.md'] + sorted(
    path for path in (ROOT / 'docs').rglob('*.md')
    if '_build' not in path.relative_to(ROOT / 'docs').parts)

# [text](target) and ![alt](target); an optional "title" after the target.
MARKDOWN_LINK = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\)')
HTML_LINK = re.compile(r'<(?:img|a)\s[^>]*?(?:src|href)="([^"]+)"')
# configs/..., tools/..., benchmarks/... not inside another path or name.
REPO_PATH = re.compile(
    r'(?<![\w./-])((?:configs|tools|benchmarks)/[\w.*{},<>/-]*)')
PLACEHOLDER = re.compile(r'<[^>/]+>')
# Folders of MMAction2's repository that ours does not have (our analysis
# tools live in tools/analysis/): a page may name MMAction2's scripts.
MMACTION2_ONLY = ('tools/analysis_tools/', 'tools/misc/')


def heading_anchors(page: Path) -> set:
    """GitHub / MyST-style anchors of a Markdown page's headings."""
    anchors = set()
    in_fence = False
    for line in page.read_text().splitlines():
        if line.startswith('```'):
            in_fence = not in_fence
        elif not in_fence and line.startswith('#'):
            title = line.lstrip('#').strip().lower()
            title = re.sub(r'[^\w\- ]', '', title)
            anchors.add(title.replace(' ', '-'))
    return anchors


def expand_braces(pattern: str) -> List[str]:
    """``a_{b,c}.py`` -> ``['a_b.py', 'a_c.py']`` (shell brace expansion)."""
    match = re.search(r'\{([^{}]*)\}', pattern)
    if match is None:
        return [pattern]
    return [
        expanded for option in match.group(1).split(',')
        for expanded in expand_braces(pattern[:match.start()] + option +
                                      pattern[match.end():])
    ]


def repo_path_exists(mention: str) -> bool:
    """Whether a named repository path (globs, ``{a,b}``, ``<m>``) exists."""
    mention = mention.rstrip('.,:;')
    if '...' in mention or mention.endswith('/.'):
        return True  # "configs/..." is a placeholder, not a path
    if mention.startswith(MMACTION2_ONLY):
        return True
    for pattern in expand_braces(PLACEHOLDER.sub('*', mention)):
        pattern = pattern.rstrip('/')
        if not any(ROOT.glob(pattern)):
            return False
    return True


def check_markdown(text: str, page: Path) -> List[str]:
    """Broken links, images and repository paths in one Markdown text.

    Args:
        text (str): The page's Markdown.
        page (Path): Where the page lives (links resolve from its folder).

    Returns:
        list[str]: One line per problem; empty when everything resolves.
    """
    problems = []
    targets = MARKDOWN_LINK.findall(text) + HTML_LINK.findall(text)
    for target in targets:
        if re.match(r'^[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
            continue  # a URL (https:, mailto:, ...) or an in-page anchor
        file_part, _, anchor = target.partition('#')
        resolved = (page.parent / file_part).resolve()
        if not resolved.exists():
            problems.append(f'{page.name}: link or image {target!r} does '
                            f'not resolve ({resolved} is missing)')
        elif anchor and resolved.suffix == '.md' and (
                anchor not in heading_anchors(resolved)):
            problems.append(f'{page.name}: link {target!r}: no heading '
                            f'#{anchor} in {resolved.name}')
    for mention in REPO_PATH.findall(text):
        if not repo_path_exists(mention):
            problems.append(f'{page.name}: names {mention!r}, which does '
                            'not exist in the repository')
    return problems


@pytest.mark.parametrize(
    'page', PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_links_images_and_paths_resolve(page):
    problems = check_markdown(page.read_text(), page)
    assert not problems, '\n'.join(problems)


def test_pages_found():
    names = {page.name for page in PAGES}
    assert {'README.md', 'index.md', 'get_started.md'} <= names


def test_probe_with_broken_link_image_and_path_fails():
    probe = ROOT / 'docs' / 'probe.md'  # never written: the text is checked
    text = '\n'.join([
        'A [good link](get_started.md) and [a good anchor]'
        '(training_testing.md#resume).',
        'A [broken link](no_such_page.md), ![a broken image](missing.png),',
        'a [missing anchor](get_started.md#no-such-heading),',
        'a missing config `configs/synthetic/no_such_config.py` and tool',
        '`python tools/no_such_tool.py`, an existing '
        '`configs/synthetic/single_<m>_synthetic.py`,',
        '`configs/_base_/models/rus_guided_moe_uniformerv2_{b16,tiny}.py`,',
        'and [a URL](https://github.com/open-mmlab/mmaction2).',
    ])
    problems = check_markdown(text, probe)
    assert len(problems) == 5, problems
    for broken in ('no_such_page.md', 'missing.png', '#no-such-heading',
                   'configs/synthetic/no_such_config.py',
                   'tools/no_such_tool.py'):
        assert any(broken in problem for problem in problems), broken
