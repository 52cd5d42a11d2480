"""The trained JEPA energy as a function tool for the agent loop.

``trained_energy_tool(energy)`` wraps a ``train.TrainedEnergy`` in a
``tools.Tool`` (strict schema from a pydantic model, run by
``tools.call_tool``/``dispatch`` and by ``agent.run_agent(tools=...)``):
one context and 1..``tools.MAX_CANDIDATES`` candidates, ranked by the
trained energy, lowest first. Introduced in 08_training_a_tiny_jepa.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from . import tools
from .train import TrainedEnergy

__all__ = ["TrainedRankArguments", "trained_energy_tool"]


class TrainedRankArguments(BaseModel):
    """Arguments of the trained-energy ranking tool (strict).

    Introduced in 08_training_a_tiny_jepa.
    """

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra=tools._plain_parameters
    )

    context: tools.BoundedText = Field(description="The context text x.")
    candidates: list[tools.BoundedText] = Field(
        min_length=1,
        max_length=tools.MAX_CANDIDATES,
        description=f"1 to {tools.MAX_CANDIDATES} candidate texts to rank.",
    )


def trained_energy_tool(
    energy: TrainedEnergy, name: str = "rank_with_trained_jepa"
) -> tools.Tool:
    """A ``tools.Tool`` that ranks candidates with ``energy``.

    Its result is ``energy.rank(context, candidates)``. Register it with
    ``run_agent(client, prompt, tools={tool.name: tool})``.
    """

    def run(args: TrainedRankArguments) -> dict:
        return energy.rank(args.context, list(args.candidates))

    return tools.Tool(
        name,
        "Rank candidate texts for one context by the energy of a small "
        "JEPA trained in this notebook: E(x, y) = ||g(s_x) - h(s_y)||^2, "
        "the squared distance between the predicted and the actual "
        "embedding of the candidate. Lower energy means more compatible; "
        "returns each candidate with its energy and rank.",
        TrainedRankArguments,
        run,
    )
