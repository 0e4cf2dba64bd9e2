"""lint/allowed_values.py: SL011 sample-unit, SL014 unknown-destination, SL015 stream-name; each
with a case that fires and one that must not."""

from __future__ import annotations

from .common import STREAM, rule_cases

CASES = {
    "SL011": ({"streams/a.yaml": "a.b:\n" + STREAM + "  sample: {unit: sesion, rate: 0.5}\n"},
              {"streams/a.yaml": "a.b:\n" + STREAM + "  sample: {unit: session, rate: 0.5}\n"},
              'streams/a.yaml:4:12: error SL011 at default › a.b › sample › unit: sample.unit "sesion" is not a unit the clients support'),
    "SL014": ({"streams/a.yaml": "a.b:\n" + STREAM.replace("eventgate-analytics-external", "eventgate-analytic")},
              {"streams/a.yaml": "a.b:\n" + STREAM},
              'streams/a.yaml:3:3: error SL014 at default › a.b › destination_event_service: destination_event_service "eventgate-analytic" is not a configured service'),
    "SL015": ({"streams/a.yaml": "Bad_Name:\n" + STREAM}, {"streams/a.yaml": "eventlogging_NavigationTiming:\n" + STREAM + "good.name-2:\n" + STREAM},
              "streams/a.yaml:1:1: warning SL015 at default › Bad_Name: stream name 'Bad_Name' does not follow the naming convention"),
}


test_rule_fires_and_does_not = rule_cases(CASES)
