"""Property test: the embedded `instrumentConfigs` of every wiki, built by the shared, cached path
of compile, equal a direct transliteration of the extension's PHP (ConfigsFetcher::processConfigs
and getSampleConfig, ResourceLoader\\Hooks::getInstrumentConfigs, then json_encode) on a literal
model of PHP arrays: dicts whose keys are ints or strings."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from streamconf import php_json
from streamconf.instruments.render import InstrumentConfigs

# The PHP, transliterated ------------------------------------------------------------------------

_WHITESPACE = " \t\n\r\v\f"
_NUMERIC_STRING = re.compile(f"[{_WHITESPACE}]*[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?[{_WHITESPACE}]*")


class DateMalformedStringException(Exception):
    pass


def new_datetime_immutable(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise DateMalformedStringException(text) from None


def php_key(key: str) -> int | str:
    """A JSON object key as PHP's json_decode(..., true) makes it: a canonical integer becomes int."""
    return int(key) if re.fullmatch(r"0|-?[1-9][0-9]*", key) else key


def is_numeric(value) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and _NUMERIC_STRING.fullmatch(value) is not None


def floatval(value) -> float:
    return float(value.strip(_WHITESPACE)) if isinstance(value, str) else float(value)


def get_sample_config(config: dict, db_name: str) -> dict:
    sample_config = {"rate": 0.0, "unit": "session"}
    if "sample_rate" in config:
        sample_rates = {php_key(key): value for key, value in config["sample_rate"].items()}
        new_rate = sample_rates.get("default")  # an undefined index is null, with a warning
        sample_rates.pop("default", None)
        for rate, wikis in sample_rates.items():
            if db_name in wikis:
                new_rate = rate
                break
        if is_numeric(new_rate):
            sample_config["rate"] = floatval(new_rate)
    if "sample_unit" in config:
        sample_config["unit"] = config["sample_unit"]
    return sample_config


def process_configs(result: list[dict], db_name: str, now: datetime) -> list[dict]:
    processed_result = []
    for config in result:
        try:
            start = new_datetime_immutable(config["start"])
            end = new_datetime_immutable(config["end"])
            if start > now or end < now:
                continue
            config = {**config, "sample": get_sample_config(config, db_name)}
            processed_result.append(config)
        except DateMalformedStringException:
            return []
    return processed_result


def get_instrument_configs(instrument_configs: list[dict]) -> dict:
    result: dict = {}
    for instrument_config in instrument_configs:
        result[php_key(instrument_config["name"])] = {
            "sample": instrument_config["sample"],
            "stream_name": instrument_config["stream_name"],
            "contextual_attributes": instrument_config["contextual_attributes"],
        }
    return result


def json_encode(array: dict):
    """The JSON value PHP writes for an array: a list when its keys are exactly 0..n-1 in order."""
    if list(array) == list(range(len(array))):
        return list(array.values())
    return {str(key): value for key, value in array.items()}


# Inputs -----------------------------------------------------------------------------------------

BASE = datetime(2026, 12, 1, tzinfo=timezone.utc)
WIKIS = ["enwiki", "dewiki", "frwiki", "nowiki", "zh_min_nanwiki"]


def written(offset: int, zone: int) -> str:
    moment = (BASE + timedelta(seconds=offset)).astimezone(timezone(timedelta(hours=zone)))
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if zone == 0 else moment.strftime("%z")[:3] + ":00")


offsets = st.sampled_from([-86400, -1, 0, 1, 86400])
instants = st.one_of(st.builds(written, offsets, st.sampled_from([0, 0, 2, -5])), st.just("whenever"))
rates = st.sampled_from(["0", "0.5", "1", ".25", "1e-1", " 0.5", "1.", "half", "0.5x", "", "0x1"])
entries = st.builds(
    lambda name, start, end, optional: {"name": name, "start": start, "end": end, **optional,
                                        "stream_name": "s", "contextual_attributes": ["page_id"]},
    st.sampled_from(["a", "b", "web-scroll", "0", "1", "2"]), instants, instants,
    st.fixed_dictionaries({}, optional={
        "sample_unit": st.sampled_from(["pageview", "session", "device"]),
        "sample_rate": st.builds(lambda default, listed: {**default, **listed},
                                 st.fixed_dictionaries({}, optional={"default": st.one_of(rates, st.sampled_from([0, 0.5, 1, True]))}),
                                 st.dictionaries(rates, st.lists(st.sampled_from(WIKIS), max_size=3), max_size=3)),
    }))


@settings(max_examples=400, deadline=None)
@given(st.lists(entries, max_size=5), st.sampled_from([-86400, -1, 0, 1, 86400]))
def test_every_wiki_s_map_equals_the_transliterated_php(service: list[dict], offset: int):
    at = BASE + timedelta(seconds=offset)
    configs = InstrumentConfigs(service, at)
    for wiki, data in configs.by_wiki(WIKIS).items():
        expected = json_encode(get_instrument_configs(process_configs(service, wiki, at)))
        assert json.loads(data) == expected
        rates = [entry["sample"]["rate"] for entry in (expected.values() if isinstance(expected, dict) else expected)]
        assert all(type(rate) is float for rate in rates)
        assert data.count(b'"rate":') == len(rates)
        # float rates are written as PHP's json_encode writes them: 0.0 as 0, 1.0 as 1, 0.1 as 0.1
        assert all(b'"rate":' + php_json.float_text(rate).encode() + b',' in data for rate in rates)
