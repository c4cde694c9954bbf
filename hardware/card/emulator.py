"""The virtual card's command language: the lines `kiosk emulate card` reads on stdin.

The card itself (vpcd's slot, the faults) is hardware.card.vpcd_card.
"""

from __future__ import annotations

from hardware.card.vpcd_card import EmulatorError, VirtualCard

HELP = """commands (one per line):
  insert NAME          put a card from the card file in the slot
  remove               take it out
  removed-midread [N]  vanish on the Nth READ RECORD of the next read (default 2)
  error SW [read|select|any]   answer status word SW (e.g. 6581); "error off" stops it
  slow SECONDS         wait that long before every answer; "slow 0" stops it
  mute                 give the ATR, then answer no command; "mute off" stops it
  clear                all faults off
  status               what is inserted and which faults are on
  cards                the cards in the card file
  quit"""


def apply_command(card: VirtualCard, line: str) -> str:
    """Carry out one command line; returns what to print. Bad input raises EmulatorError."""
    words = line.split()
    if not words:
        return ""
    verb, args = words[0].lower(), words[1:]
    if verb == "insert" and len(args) == 1:
        card.insert(args[0])
        return f"inserted {args[0]}"
    if verb == "remove" and not args:
        card.remove()
        return "removed"
    if verb == "removed-midread" and len(args) <= 1:
        n = _number(args[0], int, "removed-midread takes a READ RECORD count") if args else 2
        if n < 1:
            raise EmulatorError("removed-midread takes a READ RECORD count of 1 or more")
        card.remove_midread(n)
        return f"the card will vanish on READ RECORD {n}"
    if verb == "error" and args == ["off"]:
        card.fail_with(None)
        return "error status off"
    if verb == "error" and 1 <= len(args) <= 2:
        sw = _number(args[0], lambda t: int(t, 16), "error takes a 4-digit hex status word")
        card.fail_with(sw, args[1] if len(args) == 2 else "read")
        return f"answering {sw:04X} to {card.error_on}"
    if verb == "slow" and len(args) == 1:
        card.slow(_number(args[0], float, "slow takes seconds"))
        return f"answers delayed by {card.delay:g} s"
    if verb == "mute" and args in ([], ["off"]):
        card.mute(not args)
        return "the card answers its ATR and then nothing" if card.muted else "mute off"
    if verb == "clear" and not args:
        card.clear_faults()
        return "faults off"
    if verb == "status" and not args:
        return (f"inserted={card.inserted or '-'} connected={card.connected.is_set()} "
                f"midread={card.remove_after_reads or '-'} "
                f"error={f'{card.error_sw:04X}/{card.error_on}' if card.error_sw else '-'} "
                f"slow={card.delay:g} mute={'on' if card.muted else 'off'}")
    if verb == "cards" and not args:
        return " ".join(f"{p.name}({p.kind})" for p in card.profiles.values())
    raise EmulatorError(f"unknown command {line.strip()!r}: insert NAME, remove, removed-midread [N], "
                        "error SW [read|select|any], error off, slow S, mute, mute off, clear, status, cards, quit")


def _number(text: str, kind, message: str):
    try:
        return kind(text)
    except ValueError:
        raise EmulatorError(f"{message} (got {text!r})") from None
