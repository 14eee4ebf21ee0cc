"""Class descriptions for heads that tie classes through text, read from a
JSON object ``{class name: description}``."""
import json
from pathlib import Path
from typing import List, Sequence, Union

#: One or two sentences per Drive&Act midlevel activity (all 34), saying
#: what the driver visibly does in the cabin (hands, objects, body).
DEFAULT_LABEL_DESCRIPTIONS = (
    Path(__file__).parents[2] / 'resources' / 'label_descriptions' /
    'driveact_midlevel.json')


def load_label_descriptions(path: Union[str, Path],
                            class_names: Sequence[str]) -> List[str]:
    """The descriptions of ``class_names``, in their order.

    The file may describe more classes than asked for (the Drive&Act file
    covers all 34 activities; a config may train on a subset).

    Args:
        path (str | Path): JSON file holding an object that maps class
            names to description strings.
        class_names (Sequence[str]): The K classes, in label order.

    Returns:
        list[str]: K descriptions, ``class_names`` order.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: The file is not valid JSON, not an object of strings,
            lacks a description of some of ``class_names`` (all of them are
            listed) or has an empty one; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f'label descriptions file {path} not found (expected a JSON '
            'object mapping class names to descriptions)')
    try:
        descriptions = json.loads(path.read_text(encoding='utf-8'))
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f'label descriptions file {path} is not valid '
                         f'JSON: {error}') from error
    if not isinstance(descriptions, dict) or not all(
            isinstance(value, str) for value in descriptions.values()):
        raise ValueError(
            f'label descriptions file {path} must hold a JSON object mapping '
            'class names to description strings, got '
            f'{type(descriptions).__name__}' +
            (' with non-string values' if isinstance(descriptions, dict
                                                     ) else ''))
    missing = [name for name in class_names if name not in descriptions]
    if missing:
        raise ValueError(f'label descriptions file {path} has no description '
                         f'for {len(missing)} classes: {missing}')
    empty = [name for name in class_names if not descriptions[name].strip()]
    if empty:
        raise ValueError(f'label descriptions file {path} has empty '
                         f'descriptions for {empty}')
    return [descriptions[name] for name in class_names]
