"""A video's uploaded files: the rendered video and its thumbnail.

``probe`` checks a video with the real decoder, ``images`` a thumbnail, ``files``
receives a body onto disk and places it under ``var/`` atomically. Platform code: no
HTTP, no database; the videos feature drives it.
"""
