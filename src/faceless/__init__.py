"""FacelessYouTube API: a hardened-by-default back end for faceless YouTube channels."""
