"""The page of remoteappmanager/streamlit: a click counter and a file upload."""

import streamlit as st

st.title("Streamlit in remoteappmanager")

if "clicks" not in st.session_state:
    st.session_state.clicks = 0
if st.button("Click me"):
    st.session_state.clicks += 1
st.write(f"clicks: {st.session_state.clicks}")

uploaded = st.file_uploader("Upload a file")
if uploaded is not None:
    # Once per upload, not on every rerun of the page (a click reruns it too).
    key = (uploaded.file_id, uploaded.name)
    line = f"received {uploaded.name}: {uploaded.size} bytes"
    if st.session_state.get("logged") != key:
        st.session_state.logged = key
        with open("/tmp/uploads.log", "a", encoding="utf-8") as log:
            log.write(line + "\n")
    st.text(line)
