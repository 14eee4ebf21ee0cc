"""Install mome_mmaction: ``pip install -e .``.

With the test and lint tools: ``pip install -e .[tests]``; with the
documentation's (``bash tools/build_docs.sh``): ``.[docs]``.
"""
from setuptools import find_packages, setup

import sysconfig
from importlib import metadata
from pathlib import Path
from typing import List

HERE = Path(__file__).parent


def read_requirements(name: str) -> List[str]:
    """Requirement lines of ``requirements/<name>.txt``, comments dropped."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [
        line.split('#')[0].strip() for line in lines
        if line.split('#')[0].strip()
    ]


def full_mmcv_installed() -> bool:
    """Whether the target environment already has the full ``mmcv``.

    pip builds in an isolated environment, so look at the target
    interpreter's own site-packages rather than at ``sys.path``.
    """
    paths = {
        sysconfig.get_paths()['purelib'],
        sysconfig.get_paths()['platlib']
    }
    return any(dist.metadata['Name'] == 'mmcv'
               for dist in metadata.distributions(path=sorted(paths)))


install_requires = read_requirements('runtime')
if not full_mmcv_installed():
    install_requires += read_requirements('mmcv')

version_file = HERE / 'mome_mmaction' / 'version.py'
version = version_file.read_text().split("'")[1]

setup(
    name='mome_mmaction',
    version=version,
    description='Mixture-of-Modality-Experts with Holistic Token Learning '
    'for MMAction2',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    # AnchorSemanticHead's class descriptions
    package_data={'mome_mmaction': ['resources/label_descriptions/*.json']},
    python_requires='>=3.10',
    install_requires=install_requires,
    extras_require=dict(
        tests=read_requirements('tests'),
        data=read_requirements('data'),
        deploy=read_requirements('deploy'),
        docs=read_requirements('docs')),
    license='Apache License 2.0',
)
