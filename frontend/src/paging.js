// A list the server pages: `show(offset)` asks for one page ({items, total, offset,
// limit}) and keeps it; the list never holds more than that page.
import { reactive } from "vue";

export const PAGE_SIZE = 50;

/**
 * `fetchPage({ offset, limit })` reads a page; `action` is the view's useAction(),
 * whose `load` applies only the latest answer and whose `error` shows a failed read.
 * Fields the answer has besides the page's (say, what was read along with it) are
 * kept on `page` too.
 */
export function usePagedList(fetchPage, action, { limit = PAGE_SIZE } = {}) {
  const page = reactive({ items: [], total: 0, offset: 0, limit, loaded: false });

  function show(offset = page.offset) {
    return action.load(
      () => fetchPage({ offset, limit }),
      (answer) => {
        Object.assign(page, { total: answer.items.length, offset, limit }, answer, { loaded: true });
        // The last row of the last page went (removed here or elsewhere): show the
        // page that is now the last.
        if (!page.items.length && page.offset > 0 && page.total > 0) {
          show(Math.floor((page.total - 1) / page.limit) * page.limit);
        }
      },
    );
  }

  return { page, show, refresh: () => show(page.offset) };
}
