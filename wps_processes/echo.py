"""``echo``: returns its input, optionally after a pause. The process the OGC API - Processes
test suite drives (its ``echoprocessid``), and an operator's check that jobs run end to end;
the pause runs as one-second tasks on the cluster, so a dismissed echo stops within a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.processing.context import Context

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "echo",
    "title": {"en": "Echo", "nl": "Echo", "fr": "Écho"},
    "description": {
        "en": "Returns the message it is given, after an optional pause (seconds): a check "
              "that jobs run end to end.",
        "nl": "Geeft het bericht terug, na een optionele pauze (seconden): een controle dat "
              "taken volledig lopen.",
        "fr": "Renvoie le message reçu, après une pause facultative (secondes) : un contrôle "
              "que les tâches s'exécutent de bout en bout."},
    "keywords": ["echo", "test"],
    "jobControlOptions": ["sync-execute", "async-execute"],
    "outputTransmission": ["value"],
    "inputs": {
        "message": {
            "title": {"en": "Message", "nl": "Bericht", "fr": "Message"},
            "description": {"en": "Any text.", "nl": "Willekeurige tekst.",
                            "fr": "Un texte quelconque."},
            "schema": {"type": "string", "maxLength": 1000},
            "minOccurs": 1, "maxOccurs": 1},
        "pause": {
            "title": {"en": "Pause", "nl": "Pauze", "fr": "Pause"},
            "description": {"en": "Seconds to wait before answering.",
                            "nl": "Seconden wachten voor het antwoord.",
                            "fr": "Secondes d'attente avant la réponse."},
            "schema": {"type": "integer", "minimum": 0, "maximum": 30, "default": 0},
            "minOccurs": 0, "maxOccurs": 1},
    },
    "outputs": {
        "echo": {
            "title": {"en": "Echo", "nl": "Echo", "fr": "Écho"},
            "description": {"en": "The message.", "nl": "Het bericht.", "fr": "Le message."},
            "schema": {"type": "object", "contentMediaType": "application/json",
                       "required": ["echo"]}},
    },
    "example": {"inputs": {"message": "hello", "pause": 0}},
}


@dataclass(frozen=True)
class Plan:
    message: str
    pause: int


def plan(inputs: dict, context: Context) -> Plan:
    return Plan(inputs["message"], int(inputs.get("pause", 0)))


def run(work: Plan, context: Context) -> dict:
    for second in range(work.pause):
        context.progress(round(100 * second / work.pause), f"pausing, {second} s of "
                         f"{work.pause}")
        context.map(time.sleep, [1])
    return {"echo": work.message, "sources": []}
