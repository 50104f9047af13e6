"""The Streamlit side of the console: page scripts in ``views/``, what several pages draw the same
way in ``ui/``, and the one list of pages in ``registry``. ``app.py`` is the only router.

Not named ``pages/``: with a folder of that name beside app.py, Streamlit starts every fresh
server in its pages-folder mode, and the first visitor's deep link (``/ops``) meets a "Page not
found" dialog before ``st.navigation`` takes over.
"""
