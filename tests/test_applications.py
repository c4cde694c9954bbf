"""kiosk/applications.py: which materials are handed in, the body and files sent through the
outbox, and the wipe of pages and signature."""

from kiosk import applications
from kiosk.applications import ApplicationFiles
from testing.materials import page_jpeg, signature_png

DEFINITION = {"version": "0123456789abcdef", "signature": True, "limits": {"max_pages": 20},
              "fields": [], "materials": [
                  {"key": "m1", "name": "居民身份证", "name_en": "Resident ID card", "required": True,
                   "accepts": ["id_card", "camera", "window"]},
                  {"key": "m2", "name": "劳动合同", "name_en": "Contract", "required": True, "accepts": ["camera"]},
                  {"key": "m3", "name": "照片", "name_en": "Photo", "required": False, "accepts": ["camera", "window"]}]}


class FakePage:  # hardware.camera.Page's shape
    def __init__(self, data):
        self.jpeg = bytearray(data)

    def wipe(self):
        self.jpeg[:] = bytes(len(self.jpeg))
        self.jpeg.clear()


def test_required_materials_missing_until_handed_in():
    files = ApplicationFiles()
    chosen = {"m1": "id_card", "m2": "camera"}
    assert [m["key"] for m in applications.missing_materials(DEFINITION, chosen, files)] == ["m2"], \
        "camera chosen but nothing photographed is not handed in"
    files.add("m2", FakePage(page_jpeg(1)))
    assert applications.missing_materials(DEFINITION, chosen, files) == []
    assert applications.to_bring(DEFINITION, {**chosen, "m3": "window"}) == [DEFINITION["materials"][2]]


def test_the_body_names_each_page_and_the_signature_as_files():
    files, pages = ApplicationFiles(), [page_jpeg(1), page_jpeg(2)]
    for data in pages:
        files.add("m2", FakePage(data))
    files.sign(signature_png(1))
    payload, blobs = applications.build("GF00208001", DEFINITION, {"phone": "13912345678", "notes": "", "x": None},
                                        {"m1": "id_card", "m2": "camera", "m3": "camera"}, files,
                                        {"name": "张三", "id_number": "430102199003075518", "phone": "13912345678"})
    assert payload["form"] == {"phone": "13912345678"} and payload["form_version"] == "0123456789abcdef"
    assert payload["materials"] == [{"key": "m1", "how": "id_card"},
                                    {"key": "m2", "how": "camera", "pages": [{"file": "m2p1"}, {"file": "m2p2"}]}], \
        "m3: camera chosen, no page: not sent"
    assert payload["signature"] == {"file": "signature"}
    assert blobs == {"m2p1": pages[0], "m2p2": pages[1], "signature": signature_png(1)}


def test_retake_replaces_remove_drops_and_wipe_zeroes():
    files = ApplicationFiles()
    first, second = FakePage(page_jpeg(1)), FakePage(page_jpeg(2))
    files.add("m2", first)
    files.add("m2", second)
    again = FakePage(page_jpeg(3))
    files.add("m2", again, replace=0)
    assert files.of("m2") == [again, second] and first.jpeg == bytearray()
    files.remove("m2", 1)
    assert files.of("m2") == [again] and second.jpeg == bytearray()
    files.sign(signature_png(2))
    held = files.signature
    files.wipe()
    assert files.count() == 0 and again.jpeg == bytearray() and not any(held) and files.signature == bytearray()
    assert "张" not in repr(files)
